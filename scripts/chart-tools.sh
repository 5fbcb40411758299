#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The offline chart checks' tools (docs/chart-checks.md), installed into the download cache from
# the package registries only, each pinned and skipped when already there:
#   scripts/chart-tools.sh install     install everything scripts/chart-check.sh uses
# Sourced, it only defines the ensure_* functions and the paths below.
#
# - kube-score ($KUBE_SCORE), built with go install;
# - checkov ($CHECKOV) and kubernetes-validate (its venv's Python is $SCHEMA_PYTHON), from PyPI,
#   each in its own venv; kubernetes-validate ships the strict JSON schemas of the built-in
#   kinds for every Kubernetes minor version it supports;
# - $CRD_SCHEMAS: strict JSON schemas of the custom resources the chart may render, converted by
#   scripts/chart-crd-schemas.py from CRDs that come from Go modules (go mod download) and, for
#   Strimzi, generated from its API jar on Maven Central by Strimzi's own CRD generator.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KUBE_SCORE_VERSION=v1.20.0
CHECKOV_VERSION=3.3.30
KUBERNETES_VALIDATE_VERSION=1.37.0
# Where the CRDs come from.
PROMETHEUS_OPERATOR_VERSION=v0.85.0 # monitoring.coreos.com
GATEWAY_API_VERSION=v1.3.0          # gateway.networking.k8s.io, standard channel
CNPG_VERSION=v1.30.0                # postgresql.cnpg.io
EXTERNAL_SECRETS_VERSION=v1.3.2     # external-secrets.io, generators.external-secrets.io
CERT_MANAGER_VERSION=v1.19.1        # cert-manager.io, acme.cert-manager.io
# kafka.strimzi.io: 0.51 is the last Strimzi that serves both v1beta2 and v1 (1.x serves v1
# only). Its own CRD generator is published only for some releases; 1.2.0's reads 0.51's API.
STRIMZI_API_VERSION=0.51.0
STRIMZI_CRD_GENERATOR_VERSION=1.2.0

KUBE_SCORE="$CACHE/bin/kube-score"
CHECKOV="$CACHE/venv-checkov/bin/checkov"
SCHEMA_PYTHON="$CACHE/venv-kubernetes-validate/bin/python"
CRD_SCHEMAS="$CACHE/crd-schemas"
export KUBE_SCORE CHECKOV SCHEMA_PYTHON CRD_SCHEMAS

# ensure_kube_score: the manifest linter. (kube-linter, the first choice, cannot be had here:
# the Go module proxy refuses golang.stackrox.io/kube-linter with 403 for every version.)
ensure_kube_score() {
  command -v go >/dev/null || die "go is needed to build kube-score"
  [[ -x "$KUBE_SCORE" ]] && go version -m "$KUBE_SCORE" 2>/dev/null |
    awk '$1 == "mod" { print $2, $3 }' | grep -qx "github.com/zegl/kube-score $KUBE_SCORE_VERSION" && return
  log "building kube-score $KUBE_SCORE_VERSION with go install"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" >&2
}

# ensure_venv DIR PACKAGE VERSION: a venv in the cache holding PACKAGE==VERSION.
ensure_venv() {
  local dir="$1" package="$2" version="$3"
  [[ -x "$dir/bin/python" ]] &&
    [[ "$("$dir/bin/python" -c "import importlib.metadata as m; print(m.version('$package'))" 2>/dev/null)" == "$version" ]] &&
    return
  log "installing $package $version into $dir"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "$package==$version" >&2
}

ensure_checkov() { ensure_venv "$CACHE/venv-checkov" checkov "$CHECKOV_VERSION"; }

# go_module_dir MODULE@VERSION: the module's files, downloaded from the Go module proxy.
go_module_dir() {
  local tmp dir
  tmp="$(mktemp -d)"
  dir="$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  rm -rf "$tmp"
  [[ -d "$dir" ]] || die "go mod download $1 gave no module directory"
  printf '%s\n' "$dir"
}

# java21: a Java runtime of version 21 or newer (Strimzi's CRD generator is built for 21): java
# on PATH, else any JDK under /usr/lib/jvm.
java21() {
  local java version
  for java in "${JAVA21:-}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [[ -n "$java" && -x "$java" ]] || continue
    version="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    [[ "$version" =~ ^[0-9]+$ ]] && ((version >= 21)) && { printf '%s\n' "$java"; return; }
  done
  return 1
}

# strimzi_crds DIR: the Strimzi CRDs (served versions v1beta2 and v1) written into DIR.
strimzi_crds() {
  local out="$1" work="$CACHE/strimzi-crd-generator" java model
  command -v mvn >/dev/null || die "mvn is needed to fetch Strimzi's API jar and CRD generator"
  java="$(java21)" || die "Strimzi's CRD generator needs Java 21 or newer (none on PATH or in /usr/lib/jvm; set JAVA21)"
  mkdir -p "$work"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tracking</groupId><artifactId>strimzi-crds</artifactId><version>0</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$STRIMZI_API_VERSION</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$STRIMZI_CRD_GENERATOR_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  (cd "$work" && mvn -q -B dependency:build-classpath -Dmdep.outputFile=classpath.txt >mvn.log 2>&1) ||
    { cat "$work/mvn.log" >&2; die "mvn could not resolve Strimzi's API jar and CRD generator"; }
  local args=()
  for model in kafka.Kafka nodepool.KafkaNodePool topic.KafkaTopic user.KafkaUser connect.KafkaConnect \
    connector.KafkaConnector bridge.KafkaBridge mirrormaker2.KafkaMirrorMaker2 rebalance.KafkaRebalance; do
    args+=("io.strimzi.api.kafka.model.$model=$out/strimzi-${model#*.}.yaml")
  done
  "$java" -cp "$(<"$work/classpath.txt")" io.strimzi.crdgenerator.CrdGenerator --target-kube 1.16+ \
    --crd-api-version v1 --api-versions v1beta2,v1 --storage-version v1beta2 --yaml "${args[@]}" >&2
}

# ensure_crd_schemas: $CRD_SCHEMAS, remade when a pinned version or the converter changes.
ensure_crd_schemas() {
  local stamp tmp dir
  stamp="prometheus-operator $PROMETHEUS_OPERATOR_VERSION gateway-api $GATEWAY_API_VERSION cnpg $CNPG_VERSION"
  stamp+=" external-secrets $EXTERNAL_SECRETS_VERSION cert-manager $CERT_MANAGER_VERSION strimzi $STRIMZI_API_VERSION/$STRIMZI_CRD_GENERATOR_VERSION"
  stamp+=" converter $(sha256sum "$ROOT/scripts/chart-crd-schemas.py" | cut -c1-16)"
  [[ -f "$CRD_SCHEMAS/.stamp" && "$(<"$CRD_SCHEMAS/.stamp")" == "$stamp" ]] && return
  command -v go >/dev/null || die "go is needed to download the CRDs"
  log "making the custom resources' JSON schemas from their CRDs ($stamp)"
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/crds" "$tmp/schemas"
  dir="$(go_module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  cp "$dir"/example/prometheus-operator-crd/*.yaml "$tmp/crds/"
  dir="$(go_module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")"
  cp "$dir"/config/crd/standard/*.yaml "$tmp/crds/"
  dir="$(go_module_dir "github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION")"
  cp "$dir"/config/crd/bases/*.yaml "$tmp/crds/"
  dir="$(go_module_dir "github.com/external-secrets/external-secrets@$EXTERNAL_SECRETS_VERSION")"
  cp "$dir"/config/crds/bases/*.yaml "$tmp/crds/"
  dir="$(go_module_dir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")"
  cp "$dir"/deploy/crds/*cert-manager.io_*.yaml "$tmp/crds/"
  strimzi_crds "$tmp/crds"
  chmod -R u+w "$tmp/crds"   # copies of the read-only module cache
  "$SCHEMA_PYTHON" "$ROOT/scripts/chart-crd-schemas.py" "$tmp/schemas" "$tmp"/crds/*.yaml >/dev/null
  printf '%s' "$stamp" >"$tmp/schemas/.stamp"
  rm -rf "$CRD_SCHEMAS"
  mkdir -p "$(dirname "$CRD_SCHEMAS")"
  mv "$tmp/schemas" "$CRD_SCHEMAS"
  rm -rf "$tmp"
}

# ensure_schema_validator: kubernetes-validate (built-in kinds) and the CRD schemas.
ensure_schema_validator() {
  ensure_venv "$CACHE/venv-kubernetes-validate" kubernetes-validate "$KUBERNETES_VALIDATE_VERSION"
  ensure_crd_schemas
}

SKAFFOLD_VERSION="v2.19.0"
# The module's go.sum hash, pinned here because the checksum database cannot be asked (below).
SKAFFOLD_SUM="h1:qH0CVdT2qAT3PNCfbBXb8Rhb6H5tuWEyQOwK9VaePsE="
SKAFFOLD="$CACHE/bin/skaffold"
# ensure_skaffold: skaffold, built from its module. `go install ...@version` is refused here (the
# proxy will not list the module's versions, nor answer for the checksum database), so the
# pinned module is downloaded without the database and its hash checked against SKAFFOLD_SUM.
ensure_skaffold() {
  [[ -x "$SKAFFOLD" ]] && [[ "$("$SKAFFOLD" version 2>/dev/null)" == "$SKAFFOLD_VERSION" ]] && return
  command -v go >/dev/null || die "go is needed to build skaffold"
  log "building skaffold $SKAFFOLD_VERSION from its Go module (a few minutes the first time)"
  local dir
  dir="$(GOSUMDB=off GOFLAGS=-mod=mod go mod download -json "github.com/GoogleContainerTools/skaffold/v2@$SKAFFOLD_VERSION" |
    python3 -c '
import json, sys
module = json.load(sys.stdin)
if module.get("Sum") != sys.argv[1]:
    sys.exit("skaffold module hash %s is not the pinned %s" % (module.get("Sum"), sys.argv[1]))
print(module["Dir"])' "$SKAFFOLD_SUM")" || die "could not fetch skaffold $SKAFFOLD_VERSION"
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=$SKAFFOLD_VERSION" \
    -o "$SKAFFOLD" ./cmd/skaffold) >&2
}

# ensure_chart_tools: everything scripts/chart-check.sh runs, helm included, and skaffold.
ensure_chart_tools() {
  ensure_helm
  ensure_schema_validator
  ensure_kube_score
  ensure_checkov
  ensure_skaffold
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    install)
      ensure_chart_tools
      log "chart tools ready: helm $HELM_VERSION, kubernetes-validate $KUBERNETES_VALIDATE_VERSION," \
        "$(find "$CRD_SCHEMAS" -name '*.json' | wc -l) CRD schemas, kube-score $KUBE_SCORE_VERSION, checkov $CHECKOV_VERSION," \
        "skaffold $SKAFFOLD_VERSION"
      ;;
    *) die "usage: scripts/chart-tools.sh install" ;;
  esac
fi
