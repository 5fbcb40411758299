# shellcheck shell=bash source-path=SCRIPTDIR
# Common settings for the local-infra scripts. Source it; do not execute it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"   # all runtime data (git-ignored)
CACHE="${TRACKING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracking-platform}"   # downloads

# The infrastructure's fixed ports, all in 19000-19999. Every fixed port of the local stack is below
# Linux's ephemeral range (32768-60999, net.ipv4.ip_local_port_range), from which the kernel picks
# the local port of every outgoing connection: a fixed port inside it can be taken by any
# connection and the next start fails. The services' ports are the chart's (scripts/stack.ts);
# docs/development.md ("Ports") lists them all. scripts/stack.test.ts keeps them below 32768.
PG_PORT="${PG_PORT:-19432}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
ALERTMANAGER_PORT="${ALERTMANAGER_PORT:-19094}"
ALERT_RECEIVER_PORT="${ALERT_RECEIVER_PORT:-19095}"
# stripe-mock also opens an HTTPS listener (unused), on STRIPE_MOCK_PORT + 2.
STRIPE_MOCK_PORT="${STRIPE_MOCK_PORT:-19096}"
S3_PORT="${S3_PORT:-19097}"
# The local SMTP server (MailDev, scripts/mail.sh) and its browser inbox and REST API.
SMTP_PORT="${SMTP_PORT:-19025}"
MAIL_INBOX_PORT="${MAIL_INBOX_PORT:-19080}"

# Kafka's security: plaintext (no login, no ACLs) or scram (SASL/SCRAM-SHA-512 over TLS, ACLs
# from the topics manifest; scripts/kafka.sh, docs/kafka-security.md). Each service's password
# and the CA live in KAFKA_SECRETS_DIR.
KAFKA_SECURITY="${KAFKA_SECURITY:-scram}"
[[ "$KAFKA_SECURITY" == plaintext || "$KAFKA_SECURITY" == scram ]] || { echo "KAFKA_SECURITY must be plaintext or scram" >&2; exit 2; }
KAFKA_SECRETS_DIR="${KAFKA_SECRETS_DIR:-$LOCAL/secrets/kafka}"
# gRPC's mutual TLS: the local CA and every component's certificate and key (scripts/pki.sh).
GRPC_SECRETS_DIR="${GRPC_SECRETS_DIR:-$LOCAL/secrets/grpc}"

export ROOT LOCAL CACHE KAFKA_SECURITY KAFKA_SECRETS_DIR GRPC_SECRETS_DIR PG_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT PROMETHEUS_PORT ALERTMANAGER_PORT \
  ALERT_RECEIVER_PORT STRIPE_MOCK_PORT S3_PORT SMTP_PORT MAIL_INBOX_PORT

# Go from its official tarball lives in /usr/local/go/bin, which a minimal PATH (CI's `env -i`)
# lacks; helm, kube-score and skaffold are built with it.
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
  PATH="$PATH:/usr/local/go/bin"
  export PATH
fi

log() { printf '[infra] %s\n' "$*" >&2; }

die() { log "error: $*"; exit 1; }

# port_open host port: true if something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# port_holder port: every TCP socket (listening or connected, TIME-WAIT aside) whose local port is
# this one, as "pid N (command line)" or the ss line when the process is not ours to see.
port_holder() {
  local line pid
  while read -r line; do
    pid="$(grep -o 'pid=[0-9]*' <<<"$line" | head -n 1 | cut -d= -f2)"
    if [[ -n "$pid" ]]; then
      printf '%s pid %s (%s); ' "${line%% *}" "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-100 | sed 's/ *$//')"
    else
      printf '%s; ' "$line"
    fi
  done < <(ss -Htanp exclude time-wait "( sport = :$1 )" 2>/dev/null)
}

# ensure_port_free what port: before starting `what` on 127.0.0.1:port, stop with a message that
# names whatever holds the port (an earlier run, another program, an outgoing connection).
ensure_port_free() {
  local holder
  holder="$(port_holder "$2")"
  [[ -z "$holder" ]] || die "port $2 for $1 is taken: ${holder%; }. Stop that (npm run down stops this stack's own processes), or choose another port (docs/development.md, \"Ports\")"
}

# alive pid: the process exists and is not a zombie (a killed daemon can linger as a
# zombie until init reaps it; kill -0 would still succeed on it).
alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ -n "$stat" && "${stat%% *}" != Z ]]
}

# pidfile_pid file: the pid in one of our pid files, if that process is still the one we started:
# alive, and started no later than the file was written. After a reboot, or once the number is
# reused, it can belong to any other process (PostgreSQL's, say), which must be neither taken for
# ours nor signalled.
pidfile_pid() {
  local file="$1" pid stat started
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  # starttime: field 22 of stat, in clock ticks since boot (the 20th after "pid (comm) ").
  started="$(awk -v ticks="$(getconf CLK_TCK)" -v btime="$(awk '/^btime/ { print $2 }' /proc/stat)" \
    '{ printf "%d", btime + $20 / ticks }' <<<"$stat")"
  (( started <= $(stat -c %Y "$file") + 5 )) || return 1
  echo "$pid"
}

# wait_for_port host port timeout_seconds
wait_for_port() {
  local host="$1" port="$2" timeout="$3" start=$SECONDS
  until port_open "$host" "$port"; do
    if (( SECONDS - start >= timeout )); then
      log "timed out after ${timeout}s waiting for $host:$port"
      return 1
    fi
    sleep 0.5
  done
}

# ensure_geoip_writer: the Perl MaxMind DB writer with which scripts/geoip-db.pl makes the small
# GeoIP databases of the tests and the local stack. Installed with apt-get when missing.
ensure_geoip_writer() {
  perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null && return
  log "installing the MaxMind DB writer (libmaxmind-db-writer-perl)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libmaxmind-db-writer-perl; } >&2
}

# ensure_prometheus: Prometheus with promtool, and Alertmanager with amtool, from Debian's packages:
# the alert rules' unit tests and the end-to-end alerting test run the real programs. The
# packages' own services are not used (nothing here runs an init system); tests start their
# own instances on free loopback ports.
ensure_prometheus() {
  command -v promtool >/dev/null && command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null && return
  log "installing Prometheus and Alertmanager (Debian's prometheus, prometheus-alertmanager)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus prometheus-alertmanager; } >&2
}

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
# ensure_helm: helm, built from its Go module with `go install` (the Go module proxy is reachable;
# release downloads are not) into the download cache, and put on PATH. The chart tests render
# the chart with it.
ensure_helm() {
  export PATH="$CACHE/bin:$PATH"
  [[ -x "$CACHE/bin/helm" ]] && "$CACHE/bin/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "${HELM_VERSION%.0}\(.0\)\?" && return
  command -v go >/dev/null || die "go is needed to build helm"
  log "building helm $HELM_VERSION with go install (a few minutes the first time)"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
}

# shellcheck source=node.sh
source "$ROOT/scripts/node.sh"   # defines ensure_node

# ensure_nginx: Debian's nginx with the GeoIP2 module, the same packages the edge image installs
# (edge/Dockerfile). tests/e2e/edge-nginx.test.ts runs the nginx.conf the chart renders with them,
# on free ports of its own; the package's own service is not used.
ensure_nginx() {
  [[ -x /usr/sbin/nginx && -f /usr/lib/nginx/modules/ngx_http_geoip2_module.so ]] && return
  log "installing nginx and its GeoIP2 module (Debian's nginx, libnginx-mod-http-geoip2)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx libnginx-mod-http-geoip2; } >&2
}

# ensure_chromium: Debian's Chromium, the browser of the web app's Playwright journeys (Playwright's
# own browser download is not reachable here; services/web/playwright.config.ts points at
# /usr/bin/chromium), with a font so screenshots show text. Installed with apt-get when missing.
ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return
  log "installing Chromium (Debian's chromium) for the web app's browser tests"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-liberation; } >&2
}

STRIPE_MOCK_VERSION="${STRIPE_MOCK_VERSION:-v0.203.0}"
# ensure_stripe_mock: Stripe's own API mock (github.com/stripe/stripe-mock), built from its Go
# module into the download cache and put on PATH. It serves the real API's shapes from Stripe's
# OpenAPI spec and validates every request against it, so billing's calls through the official
# SDK are checked offline: the local stack's billing talks to it, and the billing tests start
# their own. It keeps no state (docs/billing.md says what that means for the tests).
ensure_stripe_mock() {
  export PATH="$CACHE/bin:$PATH"
  [[ -x "$CACHE/bin/stripe-mock" && -f "$CACHE/bin/stripe-mock.version" ]] &&
    [[ "$(cat "$CACHE/bin/stripe-mock.version")" == "$STRIPE_MOCK_VERSION" ]] && return
  command -v go >/dev/null || die "go is needed to build stripe-mock"
  log "building stripe-mock $STRIPE_MOCK_VERSION with go install"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" >&2
  echo "$STRIPE_MOCK_VERSION" >"$CACHE/bin/stripe-mock.version"
}

VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
# ensure_versitygw: Versity's S3 gateway (github.com/versity/versitygw, Apache-2.0), the local
# S3-compatible store of the backup service (scripts/s3.sh; docs/backup.md says why this one).
# Built from its Go module into the download cache, like helm, and put on PATH.
ensure_versitygw() {
  export PATH="$CACHE/bin:$PATH"
  [[ -x "$CACHE/bin/versitygw" && -f "$CACHE/bin/versitygw.version" ]] &&
    [[ "$(cat "$CACHE/bin/versitygw.version")" == "$VERSITYGW_VERSION" ]] && return
  command -v go >/dev/null || die "go is needed to build versitygw"
  log "building versitygw $VERSITYGW_VERSION with go install (a few minutes the first time)"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
  echo "$VERSITYGW_VERSION" >"$CACHE/bin/versitygw.version"
}
