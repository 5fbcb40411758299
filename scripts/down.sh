#!/usr/bin/env bash
# Stops the local stack: every service gracefully (SIGTERM, then SIGKILL after 20 s), then Kafka
# and PostgreSQL. Data stays in .local/ for the next `npm run up`.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for pidfile in "$LOCAL"/run/*.pid; do
  [[ -e "$pidfile" ]] || continue
  name="$(basename "$pidfile" .pid)"
  [[ "$name" == kafka ]] && continue   # infra.sh stops Kafka itself
  # Only a process we started: after a reboot the number may be someone else's.
  if pid="$(pidfile_pid "$pidfile")"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 40); do alive "$pid" || break; sleep 0.5; done
    if alive "$pid"; then
      log "$name did not stop in 20 s; killing it"
      kill -KILL "$pid"
    fi
  fi
  rm -f "$pidfile"
done

bash "$ROOT/scripts/infra.sh" down
