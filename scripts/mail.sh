#!/usr/bin/env bash
# The local SMTP server with a browser inbox: MailDev (npm `maildev`, a root devDependency) on
# 127.0.0.1 only. The notifications service delivers every mail to it over SMTP; developers read
# it at the inbox, tests through its REST API (packages/testing/src/mail.ts). docs/notifications.md
# says why this one.
#   scripts/mail.sh start    start it, write .local/mail.env (scripts/infra.sh copies it into .local/infra.env)
#   scripts/mail.sh stop
#   scripts/mail.sh status
# Mail is kept as .eml files in .local/mail/maildev and survives a restart. Idempotent: a
# running server is left as it is.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAILDEV="$ROOT/node_modules/.bin/maildev"
STORE="$LOCAL/mail/maildev"
PIDFILE="$LOCAL/run/mail.pid"
ENV_OUT="$LOCAL/mail.env"
INBOX="http://127.0.0.1:$MAIL_INBOX_PORT"

running() { pidfile_pid "$PIDFILE" >/dev/null; }

write_env() {
  local tmp
  tmp="$(umask 077 && mktemp "$ENV_OUT.XXXXXX")"
  cat >"$tmp" <<EOF
SMTP_HOST=127.0.0.1
SMTP_PORT=$SMTP_PORT
MAIL_INBOX_URL=$INBOX
EOF
  if cmp -s "$tmp" "$ENV_OUT"; then rm -f "$tmp"; else mv "$tmp" "$ENV_OUT"; fi
}

case "${1:-}" in
  start)
    ensure_node
    [[ -x "$MAILDEV" ]] || die "no $MAILDEV: install the npm dependencies first (bash scripts/deps.sh)"
    mkdir -p "$STORE" "$LOCAL/run" "$LOCAL/logs"
    if running; then
      log "mail (MailDev) already running (pid $(cat "$PIDFILE"))"
      port_open 127.0.0.1 "$SMTP_PORT" && port_open 127.0.0.1 "$MAIL_INBOX_PORT" ||
        die "the running MailDev does not listen on 127.0.0.1:$SMTP_PORT and :$MAIL_INBOX_PORT (started with other ports?): npm run down, then start again"
    else
      ensure_port_free "the SMTP server (MailDev)" "$SMTP_PORT"
      ensure_port_free "the mail inbox (MailDev)" "$MAIL_INBOX_PORT"
      log "starting mail (MailDev) on 127.0.0.1: SMTP $SMTP_PORT, inbox $INBOX"
      # Both listeners on loopback: MailDev's defaults are every interface (:: and 0.0.0.0).
      nohup "$MAILDEV" --ip 127.0.0.1 --smtp "$SMTP_PORT" --web-ip 127.0.0.1 --web "$MAIL_INBOX_PORT" \
        --mail-directory "$STORE" --max-emails 1000 >>"$LOCAL/logs/mail.out" 2>&1 &
      echo $! >"$PIDFILE"
      wait_for_port 127.0.0.1 "$SMTP_PORT" 30 && wait_for_port 127.0.0.1 "$MAIL_INBOX_PORT" 30 ||
        die "MailDev did not start (logs: .local/logs/mail.out)"
    fi
    write_env
    ;;
  stop)
    if running; then
      log "stopping mail (MailDev)"
      pid="$(cat "$PIDFILE")"
      kill -TERM "$pid"
      for _ in $(seq 1 20); do alive "$pid" || break; sleep 0.5; done
      alive "$pid" && kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if running && port_open 127.0.0.1 "$SMTP_PORT"; then
      echo "mail: running (SMTP 127.0.0.1:$SMTP_PORT, inbox $INBOX)"
    else
      echo "mail: stopped"
    fi
    ;;
  *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
