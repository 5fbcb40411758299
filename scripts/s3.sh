#!/usr/bin/env bash
# The local S3-compatible object store the backup service writes to: versitygw, a real S3 server
# (Versity's gateway, posix backend) on 127.0.0.1 only. docs/backup.md says why this one.
#   scripts/s3.sh start    build it once (ensure_versitygw), start it, create the bucket,
#                          write .local/s3.env (scripts/infra.sh copies it into .local/infra.env)
#   scripts/s3.sh stop
#   scripts/s3.sh status
# Objects live in .local/s3/data/<bucket>/<key>, older versions in .local/s3/versions; the
# credentials are generated once into .local/secrets/s3/{access-key-id,secret-access-key}.
# Idempotent: a running gateway and an existing bucket are left as they are.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S3_BUCKET="${S3_BUCKET:-tracking-backups}"
DATA="$LOCAL/s3/data"
VERSIONS="$LOCAL/s3/versions"
CREDENTIALS="$LOCAL/secrets/s3"
PIDFILE="$LOCAL/run/s3.pid"
ENV_OUT="$LOCAL/s3.env"
ENDPOINT="http://127.0.0.1:$S3_PORT"

credentials() {
  if [[ ! -f "$CREDENTIALS/access-key-id" || ! -f "$CREDENTIALS/secret-access-key" ]]; then
    (umask 077 && mkdir -p "$CREDENTIALS" &&
      printf 'backup%s' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$CREDENTIALS/access-key-id" &&
      od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$CREDENTIALS/secret-access-key")
  fi
}

running() { pidfile_pid "$PIDFILE" >/dev/null; }

# s3_request METHOD PATH [curl args...]: one signed (SigV4) request with an empty body.
s3_request() {
  local method="$1" target="$2"
  shift 2
  local verb=(-X "$method")
  [[ "$method" == HEAD ]] && verb=(--head)
  curl -sS -o /dev/null -w '%{http_code}' "${verb[@]}" \
    --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$(<"$CREDENTIALS/access-key-id"):$(<"$CREDENTIALS/secret-access-key")" \
    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
    "$@" "$ENDPOINT/$target"
}

write_env() {
  local tmp
  tmp="$(umask 077 && mktemp "$ENV_OUT.XXXXXX")"
  cat >"$tmp" <<EOF
S3_ENDPOINT=$ENDPOINT
S3_REGION=us-east-1
S3_BUCKET=$S3_BUCKET
S3_FORCE_PATH_STYLE=true
S3_CREDENTIALS_DIR=$CREDENTIALS
S3_DATA_DIR=$DATA
EOF
  if cmp -s "$tmp" "$ENV_OUT"; then rm -f "$tmp"; else mv "$tmp" "$ENV_OUT"; fi
}

case "${1:-}" in
  start)
    ensure_versitygw
    credentials
    mkdir -p "$DATA" "$VERSIONS" "$LOCAL/run" "$LOCAL/logs"
    if running; then
      log "s3 (versitygw) already running (pid $(cat "$PIDFILE"))"
      port_open 127.0.0.1 "$S3_PORT" ||
        die "the running S3 store does not listen on 127.0.0.1:$S3_PORT (started with other ports?): npm run down, then start again"
    else
      ensure_port_free "the S3 store (versitygw)" "$S3_PORT"
      log "starting s3 (versitygw $VERSITYGW_VERSION) on 127.0.0.1:$S3_PORT"
      # The root credentials go in through the environment, not the command line (ps shows that).
      ROOT_ACCESS_KEY_ID="$(<"$CREDENTIALS/access-key-id")" ROOT_SECRET_ACCESS_KEY="$(<"$CREDENTIALS/secret-access-key")" \
        nohup versitygw --port "127.0.0.1:$S3_PORT" --quiet \
        posix --versioning-dir "$VERSIONS" "$DATA" >>"$LOCAL/logs/s3.out" 2>&1 &
      echo $! >"$PIDFILE"
      wait_for_port 127.0.0.1 "$S3_PORT" 30 || die "versitygw did not start (logs: .local/logs/s3.out)"
    fi
    # Object lock on (which turns versioning on): an overwrite or delete through the API keeps
    # the earlier version, and manifests read objects by their version id.
    status="$(s3_request HEAD "$S3_BUCKET")"
    if [[ "$status" == 404 ]]; then
      status="$(s3_request PUT "$S3_BUCKET" -H 'x-amz-bucket-object-lock-enabled: true')"
      [[ "$status" == 200 ]] || die "could not create bucket $S3_BUCKET (HTTP $status)"
      log "created bucket $S3_BUCKET (object lock and versioning on)"
    elif [[ "$status" != 200 ]]; then
      die "bucket $S3_BUCKET does not answer (HTTP $status)"
    fi
    write_env
    ;;
  stop)
    if running; then
      log "stopping s3 (versitygw)"
      pid="$(cat "$PIDFILE")"
      kill -TERM "$pid"
      for _ in $(seq 1 20); do alive "$pid" || break; sleep 0.5; done
      alive "$pid" && kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if running && port_open 127.0.0.1 "$S3_PORT"; then
      echo "s3: running (127.0.0.1:$S3_PORT, bucket $S3_BUCKET)"
    else
      echo "s3: stopped"
    fi
    ;;
  *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
