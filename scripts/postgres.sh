#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local PostgreSQL (15+) for development: its own cluster under .local/pg, never the
# system cluster. 127.0.0.1:$PG_PORT only, TLS only (docs/postgres-tls.md).
#   scripts/postgres.sh install        install the Debian packages if needed, initdb once
#   scripts/postgres.sh start          start and wait until ready; on a running server, bring its
#                                      TLS files and settings up to date and reload (no restart)
#   scripts/postgres.sh stop           fast shutdown (no-op if stopped)
#   scripts/postgres.sh status         prints running / stopped
#   scripts/postgres.sh reissue-cert   a new server key and certificate from the same CA, then a
#                                      reload: new connections get it, open ones keep theirs
# The superuser password lives in .local/secrets/pg-superuser (mode 600). The server's own CA is
# .local/secrets/postgres/ca.crt (what every client verifies against: sslmode=verify-full
# sslrootcert=<that file>) and ca.key.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_USER=postgres                 # OS user that runs the server (postgres refuses root)
PGDATA="$LOCAL/pg/data"
PG_RUN="$LOCAL/pg/run"           # unix socket directory
PG_LOG="$LOCAL/logs/postgres.log"
PG_SECRET="$LOCAL/secrets/pg-superuser"
PG_CA_DIR="$LOCAL/secrets/postgres"   # the CA: ca.crt for clients, ca.key to sign
# The server's key and certificate live beside its data, owned by $PG_USER: .local/secrets is
# root's 0700 directory, which the server's OS user cannot enter.
PG_TLS_DIR="$LOCAL/pg/tls"
CERT_ISSUED=""

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
    install -d -o "$PG_USER" -g "$PG_USER" -m 700 "$LOCAL/pg" "$PGDATA" "$PG_RUN" "$PG_TLS_DIR"
    [[ -e "$PG_LOG" ]] || install -o "$PG_USER" -g "$PG_USER" -m 640 /dev/null "$PG_LOG"
  else
    install -d -m 700 "$LOCAL/pg" "$PGDATA" "$PG_RUN" "$PG_TLS_DIR"
  fi
  install -d -m 700 "$PG_CA_DIR"
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


# The local CA, made once (ECDSA P-256, ten years) and again only when it is missing or expires
# within 30 days; its certificate is what every connection URL names as sslrootcert.
ensure_ca() {
  if [[ -s "$PG_CA_DIR/ca.crt" && -s "$PG_CA_DIR/ca.key" ]] &&
    openssl x509 -checkend $((30 * 86400)) -noout -in "$PG_CA_DIR/ca.crt" >/dev/null; then
    return 0
  fi
  log "making the local PostgreSQL CA in ${PG_CA_DIR#"$ROOT"/}"
  local tmp
  tmp="$(mktemp -d)"
  (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -days 3650 -subj "/CN=tracking-platform local PostgreSQL CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null) ||
    { rm -rf "$tmp"; die "openssl could not make the PostgreSQL CA"; }
  chmod 644 "$tmp/ca.crt"
  mv -f "$tmp/ca.key" "$PG_CA_DIR/ca.key"
  mv -f "$tmp/ca.crt" "$PG_CA_DIR/ca.crt"
  rm -rf "$tmp"
}

# A server certificate is (re)issued when it is missing, expires within 7 days or is not signed
# by the current CA.
server_cert_current() {
  [[ -s "$PG_TLS_DIR/server.crt" && -s "$PG_TLS_DIR/server.key" ]] &&
    openssl x509 -checkend $((7 * 86400)) -noout -in "$PG_TLS_DIR/server.crt" >/dev/null &&
    openssl verify -CAfile "$PG_CA_DIR/ca.crt" "$PG_TLS_DIR/server.crt" >/dev/null 2>&1
}

# A new key and certificate for 127.0.0.1 and localhost (what verify-full checks), 90 days,
# with a random serial; each file is replaced by a rename, so the server never reads half of one.
issue_server_cert() {
  local tmp serial
  tmp="$(mktemp -d "$PG_TLS_DIR/.issue.XXXXXX")"   # same file system: mv is a rename
  serial="0x$(openssl rand -hex 16)"
  (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=localhost" 2>/dev/null) ||
    { rm -rf "$tmp"; die "openssl could not make the PostgreSQL server key"; }
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tmp/ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$PG_CA_DIR/ca.crt" -CAkey "$PG_CA_DIR/ca.key" \
    -set_serial "$serial" -days 90 -extfile "$tmp/ext" -out "$tmp/server.crt" 2>/dev/null ||
    { rm -rf "$tmp"; die "openssl could not sign the PostgreSQL server certificate"; }
  chmod 600 "$tmp/server.key"
  chmod 644 "$tmp/server.crt"
  if (( EUID == 0 )); then chown "$PG_USER:" "$tmp/server.key" "$tmp/server.crt"; fi
  mv -f "$tmp/server.key" "$PG_TLS_DIR/server.key"
  mv -f "$tmp/server.crt" "$PG_TLS_DIR/server.crt"
  rm -rf "$tmp"
  CERT_ISSUED=1   # a running server reads the new files on its next reload
  log "issued the PostgreSQL server certificate, serial $serial"
}

ensure_tls() {
  ensure_ca
  server_cert_current || issue_server_cert
}

# (Re)written on every start, so changed ports / paths take effect. Prints "changed" when either
# file's content changed (a running server then needs a reload).
write_config() {
  local conf="$PGDATA/tracking-platform.conf" hba="$PGDATA/pg_hba.conf" changed="" file
  cat >"$conf.new" <<EOF
# Written by scripts/postgres.sh; edits are overwritten on start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
password_encryption = scram-sha-256
max_connections = 300
shared_buffers = 128MB
logging_collector = off   # stderr goes to $PG_LOG (pg_ctl -l)
ssl = on
ssl_cert_file = '$PG_TLS_DIR/server.crt'
ssl_key_file = '$PG_TLS_DIR/server.key'
ssl_min_protocol_version = 'TLSv1.2'
# TLS 1.2's forward-secret AEAD suites only (TLS 1.3's are all strong and set apart).
ssl_ciphers = 'ECDHE+AESGCM:ECDHE+CHACHA20'
EOF
  # The unix socket (its directory is $PG_USER's, mode 700: no network, only this machine's root
  # and $PG_USER reach it) is the one path without TLS; the services never use it, the kit
  # refuses a DATABASE_URL without sslmode=verify-full. Over TCP only TLS is accepted.
  cat >"$hba.new" <<'EOF'
# Written by scripts/postgres.sh; edits are overwritten on start.
# TYPE    DATABASE  USER      ADDRESS        METHOD
local     all       postgres                 peer
local     all       all                      scram-sha-256
hostssl   all       all       127.0.0.1/32   scram-sha-256
hostnossl all       all       0.0.0.0/0      reject
hostnossl all       all       ::/0           reject
EOF
  for file in "$conf" "$hba"; do
    if (( EUID == 0 )); then chown "$PG_USER:" "$file.new"; fi
    chmod 600 "$file.new"
    if cmp -s "$file.new" "$file"; then rm -f "$file.new"; else mv -f "$file.new" "$file" && changed=1; fi
  done
  if [[ -n "$changed" ]]; then echo changed; fi
}

# SIGHUP: settings, pg_hba.conf and the TLS key and certificate are re-read; sessions stay open.
reload() {
  log "reloading PostgreSQL ($1)"
  as_pg "$BIN/pg_ctl" reload -D "$PGDATA" >/dev/null
}

# A verify-full connection as the superuser, the way every client connects: proves the server
# presents a certificate for 127.0.0.1 from our CA. Prints the session's TLS version and serial.
check_tls() {
  local start=$SECONDS out
  until out="$(PGPASSWORD="$(<"$PG_SECRET")" PGCONNECT_TIMEOUT=5 "$BIN/psql" -XAtq \
    "host=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres sslmode=verify-full sslrootcert=$PG_CA_DIR/ca.crt" \
    -c 'SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1)"; do
    # A reload is asynchronous: give the postmaster a moment to read the new files.
    (( SECONDS - start < 10 )) || { tail -n 20 "$PG_LOG" >&2; die "no verified TLS connection to PostgreSQL: $out"; }
    sleep 0.5
  done
  echo "$out, server certificate $(openssl x509 -noout -serial -in "$PG_TLS_DIR/server.crt")"
}

cmd_install() {
  install_packages
  prepare_dirs
  init_cluster
  ensure_tls
}

cmd_start() {
  cmd_install
  if is_running; then
    # Line 4 of postmaster.pid: the port the running server listens on.
    local running_port
    running_port="$(sed -n 4p "$PGDATA/postmaster.pid")"
    [[ "$running_port" == "$PG_PORT" ]] ||
      die "PostgreSQL is running on port $running_port, not $PG_PORT (started with other ports): npm run down, then start again"
    # A server started before TLS (or with other settings, or a certificate that was just reissued)
    # is brought up to date in place.
    if [[ -n "$(write_config)" ]]; then
      reload "settings changed"
    elif [[ -n "$CERT_ISSUED" ]]; then
      reload "new server certificate"
    fi
  else
    wait_for_reaped_postmaster
    ensure_port_free PostgreSQL "$PG_PORT"
    write_config >/dev/null   # a stopped server reads it as it starts
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
  local tls
  tls="$(check_tls)"
  log "PostgreSQL TLS: $tls"
}

# What a rotation runs, under load too: new handshakes get the new certificate, open sessions
# keep theirs.
cmd_reissue_cert() {
  cmd_install
  issue_server_cert
  if is_running; then
    reload "new server certificate"
    local tls
    tls="$(check_tls)"
    log "PostgreSQL TLS: $tls"
  fi
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
  reissue-cert) cmd_reissue_cert ;;
  *) echo "usage: $0 {install|start|stop|status|reissue-cert}" >&2; exit 2 ;;
esac
