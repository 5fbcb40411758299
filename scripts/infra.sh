#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local infrastructure for development and tests: PostgreSQL + Kafka on 127.0.0.1, the
# backup service's S3 store (versitygw, scripts/s3.sh) and the SMTP server with its browser
# inbox (MailDev, scripts/mail.sh).
#   scripts/infra.sh up       install what is missing, start them, write .local/infra.env
#   scripts/infra.sh down     stop the SMTP server, the S3 store, Kafka, then PostgreSQL (data is kept)
#   scripts/infra.sh status
# .local/infra.env (mode 600) holds plain KEY=value lines for the test harness / services: read
# them as such, never as shell (PG_ADMIN_URL holds an &).
# Reset everything: `scripts/infra.sh down && rm -rf .local`.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ENV_FILE="$LOCAL/infra.env"

# $1 as a URL query value: every byte but unreserved characters and / percent-encoded.
url_query_value() {
  local LC_ALL=C value="$1" out="" char i
  for ((i = 0; i < ${#value}; i++)); do
    char="${value:i:1}"
    case "$char" in
      [A-Za-z0-9/._~-]) out+="$char" ;;
      *) printf -v char '%%%02X' "'$char"; out+="$char" ;;
    esac
  done
  printf '%s' "$out"
}

write_env() {
  local pw tmp ca
  pw="$(<"$LOCAL/secrets/pg-superuser")"
  ca="$LOCAL/secrets/postgres/ca.crt"
  tmp="$(umask 077 && mktemp "$ENV_FILE.XXXXXX")"
  # Every connection verifies the server's certificate and name against the local CA
  # (scripts/postgres.sh); the URLs provisioned from this one inherit both parameters.
  cat >"$tmp" <<EOF
PG_HOST=127.0.0.1
PG_PORT=$PG_PORT
PG_ADMIN_URL=postgres://postgres:$pw@127.0.0.1:$PG_PORT/postgres?sslmode=verify-full&sslrootcert=$(url_query_value "$ca")
PG_CA_FILE=$ca
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
EOF
  # A broker that logs clients in (KAFKA_SECURITY=scram): where the principals' passwords and its CA are.
  if [[ "$KAFKA_SECURITY" == scram ]]; then
    printf 'KAFKA_SECURITY=scram\nKAFKA_SECRETS_DIR=%s\n' "$KAFKA_SECRETS_DIR" >>"$tmp"
  fi
  # gRPC's local CA and the components' certificates and keys (scripts/pki.sh).
  printf 'GRPC_SECRETS_DIR=%s\n' "$GRPC_SECRETS_DIR" >>"$tmp"
  # The S3 store of the backup service (scripts/s3.sh), for its tests.
  if [[ -f "$LOCAL/s3.env" ]]; then cat "$LOCAL/s3.env" >>"$tmp"; fi
  # The SMTP server and its inbox (scripts/mail.sh), for the notifications service and the mail tests.
  if [[ -f "$LOCAL/mail.env" ]]; then cat "$LOCAL/mail.env" >>"$tmp"; fi
  chmod 600 "$tmp"
  # Leave the file untouched when nothing changed (a second `up` changes nothing).
  if cmp -s "$tmp" "$ENV_FILE"; then rm -f "$tmp"; else mv "$tmp" "$ENV_FILE"; fi
}

case "${1:-}" in
  up)
    start="${EPOCHREALTIME/./}"
    bash "$ROOT/scripts/postgres.sh" start
    bash "$ROOT/scripts/kafka.sh" start
    bash "$ROOT/scripts/s3.sh" start
    bash "$ROOT/scripts/mail.sh" start
    bash "$ROOT/scripts/pki.sh" ensure
    write_env
    log "up in $(( (${EPOCHREALTIME/./} - start) / 1000 ))ms: postgres 127.0.0.1:$PG_PORT, kafka 127.0.0.1:$KAFKA_PORT, s3 127.0.0.1:$S3_PORT, smtp 127.0.0.1:$SMTP_PORT (inbox http://127.0.0.1:$MAIL_INBOX_PORT), env in ${ENV_FILE#"$ROOT"/}"
    ;;
  down)
    bash "$ROOT/scripts/mail.sh" stop
    bash "$ROOT/scripts/s3.sh" stop
    bash "$ROOT/scripts/kafka.sh" stop
    bash "$ROOT/scripts/postgres.sh" stop
    log "down (data kept in ${LOCAL#"$ROOT"/})"
    ;;
  status)
    bash "$ROOT/scripts/postgres.sh" status
    bash "$ROOT/scripts/kafka.sh" status
    bash "$ROOT/scripts/s3.sh" status
    bash "$ROOT/scripts/mail.sh" status
    ;;
  *) echo "usage: $0 {up|down|status}" >&2; exit 2 ;;
esac
