#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local PostgreSQL (15+) for development: its own cluster under .local/pg, never the
# system cluster. 127.0.0.1:$PG_PORT only.
#   scripts/postgres.sh install   install the Debian packages if needed, initdb once
#   scripts/postgres.sh start     start (no-op if running) and wait until ready
#   scripts/postgres.sh stop      fast shutdown (no-op if stopped)
#   scripts/postgres.sh status    prints running / stopped
# The superuser password lives in .local/secrets/pg-superuser (mode 600).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_USER=postgres                 # OS user that runs the server (postgres refuses root)
PGDATA="$LOCAL/pg/data"
PG_RUN="$LOCAL/pg/run"           # unix socket directory
PG_LOG="$LOCAL/logs/postgres.log"
PG_SECRET="$LOCAL/secrets/pg-superuser"

# Newest /usr/lib/postgresql/<ver>/bin with ver >= 15, or nothing.
pg_bindir() {
  local dir ver best=0
  for dir in /usr/lib/postgresql/*/bin; do
    ver="$(basename "$(dirname "$dir")")"
    [[ "$ver" =~ ^[0-9]+$ && -x "$dir/postgres" ]] || continue
    (( ver >= 15 && ver > best )) && best="$ver"
  done
  if (( best > 0 )); then echo "/usr/lib/postgresql/$best/bin"; fi
}

# Run a command as the server's OS user (directly when we are not root).
as_pg() {
  if (( EUID == 0 )); then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

postmaster_pid() { head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null; }

is_running() {
  local pid
  pid="$(postmaster_pid)" && [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"
}

# After a crash the dead postmaster can linger as a zombie, and postgres refuses to start
# while the pid in its lock file still exists: wait (bounded) for it to be reaped.
wait_for_reaped_postmaster() {
  local pid start=$SECONDS
  pid="$(postmaster_pid)" && [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  while [[ -e "/proc/$pid" ]] && ! alive "$pid"; do
    (( SECONDS - start < 30 )) || die "old postmaster (pid $pid) is a zombie that is not being reaped"
    sleep 0.5
  done
}

install_packages() {
  if [[ -z "$(pg_bindir)" ]]; then
    log "installing PostgreSQL from Debian packages"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
    [[ -n "$(pg_bindir)" ]] || die "no PostgreSQL >= 15 in /usr/lib/postgresql after apt-get install"
  fi
  BIN="$(pg_bindir)"
  if ! id -u "$PG_USER" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
}

# Directories owned by the server user; the data dir must be 0700.
prepare_dirs() {
  mkdir -p "$LOCAL/logs" "$LOCAL/secrets"
  chmod 700 "$LOCAL/secrets"
  if (( EUID == 0 )); then
    install -d -o "$PG_USER" -g "$PG_USER" -m 700 "$LOCAL/pg" "$PGDATA" "$PG_RUN"
    [[ -e "$PG_LOG" ]] || install -o "$PG_USER" -g "$PG_USER" -m 640 /dev/null "$PG_LOG"
  else
    install -d -m 700 "$LOCAL/pg" "$PGDATA" "$PG_RUN"
  fi
  as_pg test -w "$PGDATA" || die "user $PG_USER cannot write $PGDATA (is a parent directory of $ROOT private?)"
}

init_cluster() {
  [[ -f "$PGDATA/PG_VERSION" ]] && return 0
  if [[ ! -s "$PG_SECRET" ]]; then
    (umask 077 && openssl rand -hex 24 >"$PG_SECRET")
  fi
  chmod 600 "$PG_SECRET"
  # initdb runs as $PG_USER and cannot read the root-owned secret: hand it a private copy.
  local pwfile="$LOCAL/pg/.initdb-pw"
  install -m 600 /dev/null "$pwfile"
  if (( EUID == 0 )); then chown "$PG_USER:" "$pwfile"; fi
  cat "$PG_SECRET" >"$pwfile"
  log "initialising cluster in $PGDATA"
  if ! as_pg "$BIN/initdb" -D "$PGDATA" --username=postgres --pwfile="$pwfile" \
      --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null; then
    rm -f "$pwfile"
    die "initdb failed"
  fi
  rm -f "$pwfile"
  echo "include = 'tracking-platform.conf'" >>"$PGDATA/postgresql.conf"
}

# (Re)written on every start, so changed ports / paths take effect.
write_config() {
  cat >"$PGDATA/tracking-platform.conf" <<EOF
# Written by scripts/postgres.sh; edits are overwritten on start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
password_encryption = scram-sha-256
max_connections = 300
shared_buffers = 128MB
logging_collector = off   # stderr goes to $PG_LOG (pg_ctl -l)
EOF
  cat >"$PGDATA/pg_hba.conf" <<'EOF'
# Written by scripts/postgres.sh; edits are overwritten on start.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 peer
host    all       all       127.0.0.1/32   scram-sha-256
EOF
  if (( EUID == 0 )); then chown "$PG_USER:" "$PGDATA/tracking-platform.conf" "$PGDATA/pg_hba.conf"; fi
  chmod 600 "$PGDATA/tracking-platform.conf" "$PGDATA/pg_hba.conf"
}

cmd_install() {
  install_packages
  prepare_dirs
  init_cluster
}

cmd_start() {
  cmd_install
  if is_running; then
    # Line 4 of postmaster.pid: the port the running server listens on.
    local running_port
    running_port="$(sed -n 4p "$PGDATA/postmaster.pid")"
    [[ "$running_port" == "$PG_PORT" ]] ||
      die "PostgreSQL is running on port $running_port, not $PG_PORT (started with other ports): npm run down, then start again"
  else
    wait_for_reaped_postmaster
    ensure_port_free PostgreSQL "$PG_PORT"
    write_config
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    as_pg "$BIN/pg_ctl" start -D "$PGDATA" -l "$PG_LOG" -w -t 60 >/dev/null \
      || { tail -n 40 "$PG_LOG" >&2; die "PostgreSQL did not start"; }
  fi
  local start=$SECONDS
  until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do
    if ! is_running; then
      tail -n 40 "$PG_LOG" >&2
      die "PostgreSQL is not running (crashed or killed?); run the command again"
    fi
    if (( SECONDS - start >= 60 )); then
      tail -n 40 "$PG_LOG" >&2
      die "PostgreSQL not ready after 60s"
    fi
    sleep 0.5
  done
}

cmd_stop() {
  BIN="$(pg_bindir)"
  if [[ -n "$BIN" ]] && is_running; then
    log "stopping PostgreSQL"
    as_pg "$BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 >/dev/null
  fi
}

cmd_status() {
  BIN="$(pg_bindir)"
  if [[ -n "$BIN" ]] && is_running; then
    echo "postgres: running (127.0.0.1:$PG_PORT)"
  else
    echo "postgres: stopped"
  fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 {install|start|stop|status}" >&2; exit 2 ;;
esac
