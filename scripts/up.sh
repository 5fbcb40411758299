#!/usr/bin/env bash
# Brings the whole local stack up: Node 24 and the dependencies, PostgreSQL and Kafka, the
# databases, roles, migrations and topics, every service as a local process, Prometheus and
# Alertmanager with the chart's rules and routing, the web app behind the edge (Debian's nginx
# with the chart's own configuration, TLS from a local CA) at https://localhost:8443/, and the
# demo accounts. Idempotent: what already runs is left running. Each fixed port is checked free
# before its process starts; docs/development.md ("Ports") lists them.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ROOT/scripts/deps.sh"
ensure_node
bash "$ROOT/scripts/infra.sh" up
ensure_geoip_writer   # provision.ts writes the gateway's local GeoIP database with it
# Plain KEY=value lines, not shell: PG_ADMIN_URL's query holds an &.
while IFS= read -r line; do
  if [[ "$line" =~ ^([A-Z0-9_]+)=(.*)$ ]]; then export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"; fi
done <"$LOCAL/infra.env"
(cd "$ROOT" && node --import tsx scripts/provision.ts)

mkdir -p "$LOCAL/run" "$LOCAL/logs"

# Stripe's API, locally: billing's Checkout and Portal calls go to stripe-mock (docs/billing.md).
ensure_stripe_mock
if pidfile_pid "$LOCAL/run/stripe-mock.pid" >/dev/null; then
  log "stripe-mock already running (pid $(cat "$LOCAL/run/stripe-mock.pid"))"
else
  ensure_port_free stripe-mock "$STRIPE_MOCK_PORT"
  ensure_port_free "stripe-mock's HTTPS listener" "$((STRIPE_MOCK_PORT + 2))"
  log "starting stripe-mock on 127.0.0.1:$STRIPE_MOCK_PORT"
  # Its HTTPS listener (unused) on loopback too, not its default of every interface.
  nohup stripe-mock -http-addr "127.0.0.1:$STRIPE_MOCK_PORT" -https-addr "127.0.0.1:$((STRIPE_MOCK_PORT + 2))" \
    >>"$LOCAL/logs/stripe-mock.out" 2>&1 &
  echo $! >"$LOCAL/run/stripe-mock.pid"
fi
wait_for_port 127.0.0.1 "$STRIPE_MOCK_PORT" 30 || die "stripe-mock did not start (logs: .local/logs/stripe-mock.out)"
mapfile -t services < <(cd "$ROOT" && node --import tsx scripts/stack.ts names)
# Every fixed port of the services and the edge, `name port` a line (scripts/stack.ts).
STACK_PORTS="$(cd "$ROOT" && node --import tsx scripts/stack.ts ports)"
stack_port() { awk -v name="$1" '$1 == name { print $2 }' <<<"$STACK_PORTS"; }

start_service() {
  local name="$1" pidfile="$LOCAL/run/$1.pid" ops_port
  ops_port="$(sed -n 's/^OPS_PORT=//p' "$LOCAL/env/$name.env")"
  if pidfile_pid "$pidfile" >/dev/null; then
    log "$name already running (pid $(cat "$pidfile"))"
  else
    local variable port
    # The ports it listens on (templates/_component.tpl's), not the ones it connects to (SMTP_PORT).
    while IFS='=' read -r variable port; do
      ensure_port_free "$name (${variable})" "$port"
    done < <(grep -E '^(OPS|GRPC|HTTP|WEBHOOK)_PORT=[0-9]+$' "$LOCAL/env/$name.env")
    log "starting $name"
    (
      set -a
      # shellcheck disable=SC1090
      source "$LOCAL/env/$name.env"
      set +a
      cd "$ROOT"
      nohup node --enable-source-maps --import tsx "services/$name/src/main.ts" >>"$LOCAL/logs/$name.out" 2>&1 &
      echo $! >"$pidfile"
    )
  fi
  local start=$SECONDS
  until node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "http://127.0.0.1:$ops_port/readyz"; do
    if ! alive "$(cat "$pidfile")"; then
      tail -n 20 "$LOCAL/logs/$name.out" >&2
      die "$name exited during start-up (logs: .local/logs/$name.out, .local/logs/$name.log)"
    fi
    if (( SECONDS - start > 60 )); then
      tail -n 20 "$LOCAL/logs/$name.log" >&2 || true
      die "$name not ready after 60 s (logs: .local/logs/$name.log)"
    fi
    sleep 0.5
  done
  log "$name ready (ops http://127.0.0.1:$ops_port)"
}

for name in "${services[@]}"; do start_service "$name"; done

# start_daemon name ready_url command...: a supporting process, started once, with a pidfile that
# down.sh stops like a service's. One already running re-reads its (regenerated) config on SIGHUP.
start_daemon() {
  local name="$1" ready="$2" pidfile="$LOCAL/run/$1.pid"
  shift 2
  if pidfile_pid "$pidfile" >/dev/null; then
    log "$name already running (pid $(cat "$pidfile")); reloading its configuration"
    kill -HUP "$(cat "$pidfile")"
  else
    local port="${ready#*://*:}"
    ensure_port_free "$name" "${port%%/*}"
    log "starting $name"
    (
      cd "$ROOT"
      nohup "$@" >>"$LOCAL/logs/$name.out" 2>&1 &
      echo $! >"$pidfile"
    )
  fi
  local start=$SECONDS
  until node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$ready"; do
    alive "$(cat "$pidfile")" || { tail -n 20 "$LOCAL/logs/$name.out" >&2; die "$name exited during start-up"; }
    (( SECONDS - start > 60 )) && die "$name not ready after 60 s (logs: .local/logs/$name.out)"
    sleep 0.5
  done
}

# Alerting as production has it: Prometheus scrapes every service and evaluates the chart's
# rules, Alertmanager routes with the chart's config, and the local receiver writes each
# notification to .local/logs/alerts.jsonl (docs/observability.md).
ensure_prometheus
node --import tsx "$ROOT/scripts/observability.ts" "$LOCAL/observability" "$ALERTMANAGER_PORT" "$ALERT_RECEIVER_PORT"
start_daemon alert-receiver "http://127.0.0.1:$ALERT_RECEIVER_PORT/healthz" \
  node --import tsx scripts/alert-receiver.ts "$ALERT_RECEIVER_PORT" "$LOCAL/logs/alerts.jsonl"
start_daemon alertmanager "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" \
  prometheus-alertmanager --config.file="$LOCAL/observability/alertmanager.yml" \
  --storage.path="$LOCAL/observability/alertmanager-data" \
  --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address=
start_daemon prometheus "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" \
  prometheus --config.file="$LOCAL/observability/prometheus.yml" \
  --storage.tsdb.path="$LOCAL/observability/prometheus-data" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --enable-feature=exemplar-storage

# The web app behind the edge, as a cluster serves it: the edge and the web component's nginx.conf
# files rendered by the chart with local values (scripts/local-edge.ts), run by Debian's nginx as
# the pods' user. https://localhost:8443/ is the app, /api/ the API (docs/edge.md, "Locally").
ensure_nginx
ensure_helm
if [[ -f "$ROOT/services/web/package.json" ]]; then
  log "building the web app (npm run build -w @tracking/web)"
  (cd "$ROOT" && npm run build -w @tracking/web >"$LOCAL/logs/web-build.out" 2>&1) ||
    { tail -n 30 "$LOCAL/logs/web-build.out" >&2; die "the web app did not build (logs: .local/logs/web-build.out)"; }
fi
[[ -f "$ROOT/services/web/dist/index.html" ]] || die "no services/web/dist/index.html: the web app has not been built"
read -r EDGE_URL EDGE_CA WEB_READY EDGE_READY < <(cd "$ROOT" && node --import tsx scripts/local-edge.ts)
[[ -n "$EDGE_READY" ]] || die "could not render the local edge (scripts/local-edge.ts)"
# nginx runs as the pods' user (uid 65532), which must be able to write its logs.
as_pod_user=()
if (( EUID == 0 )); then
  as_pod_user=(setpriv --reuid=65532 --regid=65532 --clear-groups --)
  for log_file in web edge; do
    touch "$LOCAL/logs/$log_file.out"
    chown 65532:65532 "$LOCAL/logs/$log_file.out"
  done
fi
start_daemon web "$WEB_READY" \
  "${as_pod_user[@]}" /usr/sbin/nginx -e stderr -c "$LOCAL/edge/web.conf" -p "$LOCAL/edge/"
start_daemon edge "$EDGE_READY" \
  "${as_pod_user[@]}" /usr/sbin/nginx -e stderr -c "$LOCAL/edge/edge.conf" -p "$LOCAL/edge/"

# Demo accounts share one password, generated on the first run and kept under .local/secrets.
demo_password_file="$LOCAL/secrets/demo-password"
[[ -s "$demo_password_file" ]] ||
  (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))' >"$demo_password_file")
(
  set -a
  # shellcheck disable=SC1091
  source "$LOCAL/env/auth.env"
  set +a
  DEMO_PASSWORD="$(cat "$demo_password_file")" DEMO_IDS_FILE="$LOCAL/demo-ids.json" \
    node --import tsx "$ROOT/services/auth/src/seed.ts"
)
# The demo trainer invites the demo client (tracking's own code acting as the trainer, who must
# enrol TOTP before the API lets them invite); nothing once there is a link or an open invitation.
(
  set -a
  # shellcheck disable=SC1091
  source "$LOCAL/env/tracking.env"
  set +a
  DEMO_IDS_FILE="$LOCAL/demo-ids.json" node --import tsx "$ROOT/services/tracking/src/seed-demo-link.ts"
)
# A week of meals and two weeks of weight for the demo client, through the API, so the web
# app's screens have something to show, and the trainer's invitation accepted; it adds nothing
# once the client has logs and a trainer. Through the edge, as a person's requests go: the
# gateway answers only the edge's certificate (docs/edge.md, "The hops behind the edge").
GATEWAY_URL="${EDGE_URL%/}" NODE_EXTRA_CA_CERTS="$EDGE_CA" DEMO_PASSWORD="$(cat "$demo_password_file")" \
  node --import tsx "$ROOT/scripts/seed-demo-logs.ts"

cat >&2 <<SUMMARY

The stack is up. Open $EDGE_URL and sign in as a demo account (the browser
warns about the certificate until you trust the local CA, $EDGE_CA; docs/edge.md).
  web app and API     $EDGE_URL   (the edge: nginx with the chart's config; API under /api/v1)
  gateway (REST API)  https://localhost:$(stack_port gateway-http)/api/v1   (behind the edge: it answers only the edge's certificate, .local/secrets/grpc/edge.crt)
  auth (gRPC)         127.0.0.1:$(stack_port auth-grpc)      ops http://127.0.0.1:$(stack_port auth-ops)/metrics
  audit (gRPC)        127.0.0.1:$(stack_port audit-grpc)      ops http://127.0.0.1:$(stack_port audit-ops)/metrics
  tracking (gRPC)     127.0.0.1:$(stack_port tracking-grpc)      ops http://127.0.0.1:$(stack_port tracking-ops)/metrics
  ai-inference (gRPC) 127.0.0.1:$(stack_port ai-inference-grpc)      ops http://127.0.0.1:$(stack_port ai-inference-ops)/metrics   (offline estimator)
  billing (gRPC)      127.0.0.1:$(stack_port billing-grpc)      ops http://127.0.0.1:$(stack_port billing-ops)/metrics   webhooks ${EDGE_URL%/}/webhooks/stripe
  stripe-mock         http://127.0.0.1:$STRIPE_MOCK_PORT   (Stripe's API mock; signing secret in .local/secrets/stripe-webhook-secret)
  notifications       ops http://127.0.0.1:$(stack_port notifications-ops)/metrics   (mails every message to the inbox below)
  backup (gRPC)       127.0.0.1:$(stack_port backup-grpc)      ops http://127.0.0.1:$(stack_port backup-ops)/metrics   (no schedule locally; docs/backup.md for the CLI)
  privacy (gRPC)      127.0.0.1:$(stack_port privacy-grpc)      ops http://127.0.0.1:$(stack_port privacy-ops)/metrics   (exports and erasures; exports under privacy/, the erasure ledger under ledger/ of the S3 store)
  gRPC                mutual TLS: each service's certificate and key, and the CA, in ${GRPC_SECRETS_DIR#"$ROOT"/}
                      (scripts/pki.sh); a server admits only the callers the chart's call graph names
  S3 (versitygw)      http://127.0.0.1:$S3_PORT   bucket tracking-backups, data in .local/s3
  Mail inbox          http://127.0.0.1:$MAIL_INBOX_PORT   (MailDev: every mail the platform sends; SMTP 127.0.0.1:$SMTP_PORT)
  PostgreSQL          127.0.0.1:$PG_PORT   Kafka 127.0.0.1:$KAFKA_PORT
  Prometheus          http://127.0.0.1:$PROMETHEUS_PORT   (alerts: /alerts; exemplars on security_events_total)
  Alertmanager        http://127.0.0.1:$ALERTMANAGER_PORT   notifications in .local/logs/alerts.jsonl
  Demo accounts       admin@ / trainer@ / client@demo.tracking.test
  Demo password       in .local/secrets/demo-password
  Logs                .local/logs/<service>.log, the edge's requests in .local/logs/edge.out
Stop it with: npm run down
SUMMARY
