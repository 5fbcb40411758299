#!/usr/bin/env bash
# The full test suite, as the README and CI run it: the static gates first (generated code, the
# OpenAPI document and the dashboards are current; the alert rules' unit tests, the Alertmanager
# config and the chart; types, lint, formatting, import cycles; the SBOM, licences and install
# scripts of the dependencies), then the web app's browser journeys in
# Chromium (Playwright), then every jest test against the real PostgreSQL and Kafka, which this
# script starts if they are not running. Extra arguments go to jest, and then only jest runs.
# jest's summary is the last line: a failed browser run is reported before jest starts, and
# fails the run after it.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ROOT/scripts/deps.sh"
ensure_node
cd "$ROOT"

log "checking generated gRPC code is current"
bash scripts/proto.sh --check
log "checking the gateway's OpenAPI document is current"
npx --no-install tsx scripts/openapi.ts --check
log "checking the web app's API types match that document"
npm run --silent generate -w @tracking/web -- --check >/dev/null
log "checking the Grafana dashboards are current"
npx --no-install tsx scripts/dashboards/main.ts --check
log "checking the alert rules, their unit tests and the Alertmanager configuration"
ensure_prometheus
promtool check rules charts/tracking/files/prometheus/rules/*.yml
promtool test rules tests/alerts/*.test.yml
amtool check-config charts/tracking/files/alertmanager/alertmanager.yml
log "linting the chart"
ensure_helm
for values in charts/tracking/values.yaml charts/tracking/values-*.yaml; do
  helm lint --strict --quiet charts/tracking -f "$values"
done
log "checking every rendered manifest offline: strict Kubernetes and CRD schemas, kube-score, checkov"
bash scripts/chart-tools.sh install
bash scripts/chart-check.sh charts/tracking/values-dev.yaml charts/tracking/values-staging.yaml charts/tracking/values-prod.yaml
bash scripts/chart-check.sh --manifests k8s/namespace.yaml k8s/examples/geoip-updater.yaml
log "checking skaffold.yaml: its schema with every profile, and that it renders the chart"
export SKAFFOLD_UPDATE_CHECK=false
skaffold diagnose --yaml-only >/dev/null
for profile in dev debug observability; do skaffold diagnose --yaml-only --profile "$profile" >/dev/null; done
skaffold render --offline --digest-source=tag >/dev/null
log "type-checking every workspace"
npx --no-install turbo run typecheck --output-logs=errors-only
npx --no-install tsc -p tsconfig.json   # bench/ and scripts/, which belong to no workspace
log "linting"
npx --no-install eslint --max-warnings=0 .
npx --no-install prettier --check --log-level=warn .
log "checking that no module imports itself through others, type imports included"
npx --no-install tsx scripts/import-cycles.ts
log "the dependencies: a CycloneDX SBOM (kept as .local/artifacts/sbom.json), licences, install scripts"
bash scripts/supply-chain.sh

# The mTLS tests make their certificates with openssl.
command -v openssl >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl; } >&2
# The gateway's tests and the test platform write their own small GeoIP databases.
ensure_geoip_writer
# The edge test runs the chart's nginx.conf with Debian's nginx and its GeoIP2 module.
ensure_nginx
# The billing tests run Stripe's API mock.
ensure_stripe_mock
# The API fuzz test (tests/e2e/schemathesis.test.ts) runs schemathesis, pinned, from its own venv.
bash scripts/schemathesis.sh install
# The local edge in front of the web app: rendered by the chart (helm) and run by nginx.
ensure_helm
bash scripts/infra.sh up

browser_status=0
if [[ $# -eq 0 && -f services/web/playwright.config.ts ]]; then
  ensure_chromium
  log "building the web app"
  npm run build -w @tracking/web
  log "running the web app's browser journeys (Playwright in Debian's Chromium, through the edge)"
  npm run e2e -w @tracking/web || browser_status=$?
  if (( browser_status != 0 )); then
    log "the browser journeys FAILED (exit $browser_status; report: services/web/playwright-report); jest runs anyway and npm test fails"
  fi
fi
# Test processes (and the services they start) read the infrastructure's addresses from here.
jest_status=0
npx --no-install jest "$@" || jest_status=$?
exit $(( jest_status != 0 ? jest_status : browser_status ))
