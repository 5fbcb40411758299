#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Offline checks of the chart's rendered manifests, no cluster needed (docs/chart-checks.md):
#   scripts/chart-check.sh [VALUES.yaml...]     the chart with its defaults, then with each file
#   scripts/chart-check.sh --manifests FILE...  manifests as they are (what the tests feed it)
# For each: `helm template tracking charts/tracking --namespace tracking [-f VALUES]`, then every
# document validated against the strict schemas of Kubernetes (version in charts/chart-checks.yaml)
# and of the custom resources' CRDs, unknown fields refused; then kube-score and checkov, with the
# exclusions listed, each with its reason, in charts/chart-checks.yaml. One line per input on
# success; on failure the failing document, kind, name and reason, and exit status 1.
# The tools are installed by scripts/chart-tools.sh (here too, when missing).
# shellcheck source=chart-tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/chart-tools.sh"

CONFIG="$ROOT/charts/chart-checks.yaml"
CHART="$ROOT/charts/tracking"

ensure_chart_tools >&2

# The settings, read once: KUBERNETES_VERSION and the arrays of the tools' arguments.
settings="$("$SCHEMA_PYTHON" - "$CONFIG" <<'EOF'
import shlex, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
def ids(section, key, field):
    entries = (config.get(section) or {}).get(key) or []
    for entry in entries:
        if not str(entry.get("reason", "")).strip():
            sys.exit(f"{sys.argv[1]}: {section}.{key} {entry.get(field)} has no reason")
    return [str(entry[field]) for entry in entries]
print("KUBERNETES_VERSION=" + shlex.quote(str(config["kubernetesVersion"])))
validate = [a for kind in ids("schemas", "notValidated", "kind") for a in ("--not-validated", kind)]
print("VALIDATE_ARGS=(" + " ".join(map(shlex.quote, validate)) + ")")
score = [a for test in ids("kubeScore", "enable", "test") for a in ("--enable-optional-test", test)]
score += [a for test in ids("kubeScore", "ignore", "test") for a in ("--ignore-test", test)]
print("KUBE_SCORE_ARGS=(" + " ".join(map(shlex.quote, score)) + ")")
# Per values file: `ignoreForValues` entries (values, test, reason) as KUBE_SCORE_FOR_<n> arrays.
for index, entry in enumerate((config.get("kubeScore") or {}).get("ignoreForValues") or []):
    if not str(entry.get("reason", "")).strip():
        sys.exit(f"{sys.argv[1]}: kubeScore.ignoreForValues {entry.get('test')} has no reason")
    print(f"KUBE_SCORE_VALUES_{index}={shlex.quote(str(entry['values']))}")
    print(f"KUBE_SCORE_TEST_{index}={shlex.quote(str(entry['test']))}")
skips = ids("checkov", "skip", "check")
print("CHECKOV_ARGS=(" + (" ".join(map(shlex.quote, ["--skip-check", ",".join(skips)])) if skips else "") + ")")
EOF
)" || die "cannot read $CONFIG"
eval "$settings"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# check NAME FILE: the three checks of one rendered stream; prints one line, or the problems.
check() {
  local name="$1" file="$2" failed=0 summary out
  if ! summary="$("$SCHEMA_PYTHON" "$ROOT/scripts/chart-validate.py" --kubernetes-version "$KUBERNETES_VERSION" \
    --crd-schemas "$CRD_SCHEMAS" "${VALIDATE_ARGS[@]}" "$file")"; then
    printf '%s: schema validation failed\n%s\n' "$name" "$summary"
    failed=1
  fi
  local -a score_args=("${KUBE_SCORE_ARGS[@]}")
  local index=0 values test values_var test_var
  while values_var="KUBE_SCORE_VALUES_$index" && [[ -n "${!values_var:-}" ]]; do
    values="${!values_var}" test_var="KUBE_SCORE_TEST_$index"
    test="${!test_var}"
    [[ "$name" == "$values" ]] && score_args+=(--ignore-test "$test")
    index=$((index + 1))
  done
  if ! out="$("$KUBE_SCORE" score --output-format ci --exit-one-on-warning --kubernetes-version "v$KUBERNETES_VERSION" \
    "${score_args[@]}" "$file" 2>&1)"; then
    printf '%s: kube-score found problems\n%s\n' "$name" "$(grep -v '^\[OK\]\|^\[SKIPPED\]' <<<"$out")"
    failed=1
  fi
  if ! out="$("$CHECKOV" --file "$file" --framework kubernetes --skip-download --quiet --compact \
    --output json "${CHECKOV_ARGS[@]}" 2>&1)"; then
    printf '%s: checkov found problems\n' "$name"
    # One line per failed check; checkov's own output when it is not the JSON report.
    "$(dirname "$CHECKOV")/python" -c '
import json, sys
reports = json.loads(sys.stdin.read())
for report in reports if isinstance(reports, list) else [reports]:
    for check in report["results"]["failed_checks"]:
        print("[%s] %s: %s" % (check["check_id"], check["resource"], check["check_name"]))
' <<<"$out" 2>/dev/null || printf '%s\n' "$out"
    failed=1
  fi
  ((failed == 0)) || return 1
  printf 'ok %s: %s; kube-score and checkov clean\n' "$name" "$summary"
}

status=0
if [[ "${1:-}" == "--manifests" ]]; then
  shift
  (($#)) || die "usage: scripts/chart-check.sh --manifests FILE..."
  for file in "$@"; do
    [[ -f "$file" ]] || die "no manifests file $file"
    check "$file" "$file" || status=1
  done
  exit "$status"
fi

inputs=(defaults "$@")
for input in "${inputs[@]}"; do
  args=()
  [[ "$input" == defaults ]] || { [[ -f "$input" ]] || die "no values file $input"; args=(--values "$input"); }
  rendered="$work/rendered.yaml"
  if ! helm template tracking "$CHART" --namespace tracking "${args[@]}" >"$rendered" 2>"$work/helm.err"; then
    printf '%s: helm template failed\n%s\n' "$input" "$(<"$work/helm.err")"
    status=1
    continue
  fi
  check "$input" "$rendered" || status=1
done
exit "$status"
