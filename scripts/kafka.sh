#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local Apache Kafka 4.1.1: single node, KRaft (combined broker + controller), no ZooKeeper.
# 127.0.0.1:$KAFKA_PORT (clients) and 127.0.0.1:$KAFKA_CONTROLLER_PORT (controller) only.
#   scripts/kafka.sh install   fetch the jars (Maven Central, cached), format storage once
#   scripts/kafka.sh start     start in the background (no-op if running), wait until ready
#   scripts/kafka.sh stop      controlled shutdown (SIGTERM, SIGKILL after 30 s)
#   scripts/kafka.sh status    prints running / stopped
# Topics are not auto-created: the project creates them from its manifest.
#
# KAFKA_SECURITY=scram (scripts/lib.sh) runs the broker as the chart's Strimzi cluster does
# (docs/kafka-security.md): one SASL_SSL listener, SCRAM-SHA-512 inside TLS from a local CA, the
# StandardAuthorizer with the admin principal as the only super user, and one SCRAM user per
# service of the topics manifest, each password in $KAFKA_SECRETS_DIR/<service> (the CA as
# ca.pem beside them). The ACLs come from the same manifest (scripts/provision.ts; the test
# harness per topic prefix). KAFKA_DIR puts a second broker's data, logs and pid apart.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=4.1.1
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
LIBS_MARKER="$KAFKA_HOME/.libs-complete"   # holds the sha256 of the pom the jars came from
POM="$ROOT/scripts/kafka/pom.xml"
if [[ -n "${KAFKA_DIR:-}" ]]; then
  KDIR="$KAFKA_DIR"
  PIDFILE="$KDIR/kafka.pid"
  LOGDIR="$KDIR/logs"
else
  KDIR="$LOCAL/kafka"
  PIDFILE="$LOCAL/run/kafka.pid"
  LOGDIR="$LOCAL/logs"
fi
PROPS="$KDIR/server.properties"
OUT="$LOGDIR/kafka.out"
LOGFILE="$LOGDIR/kafka.log"
TLS_DIR="$KDIR/tls"
ADMIN_PROPS="$KDIR/admin.properties"
MANIFEST="$ROOT/charts/tracking/files/topics.json"

apt_install() {
  log "installing $* with apt-get"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}

ensure_tools() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  if [[ "$(cat "$LIBS_MARKER" 2>/dev/null)" != "$(sha256sum <"$POM")" ]]; then
    command -v mvn >/dev/null || apt_install maven
  fi
}

# Resolve the jars once; re-resolve only when the pom changes.
ensure_libs() {
  local sum
  sum="$(sha256sum <"$POM")"
  [[ -d "$LIBS" && "$(cat "$LIBS_MARKER" 2>/dev/null)" == "$sum" ]] && return 0
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  mkdir -p "$KAFKA_HOME"
  rm -rf "$LIBS.tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$LIBS.tmp" >"$KAFKA_HOME/mvn.log" 2>&1; then
    cat "$KAFKA_HOME/mvn.log" >&2
    die "mvn could not resolve the Kafka jars (output above, also in $KAFKA_HOME/mvn.log)"
  fi
  compgen -G "$LIBS.tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || die "kafka_2.13 jar missing after mvn"
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  echo "$sum" >"$LIBS_MARKER"
}

kjava() { java -cp "$LIBS/*" "$@"; }

scram() { [[ "$KAFKA_SECURITY" == scram ]]; }

# The principals: the admin (provisioning only) and every service the topics manifest names.
principals() {
  echo admin
  jq -r '.topics[] | (.producers[], .readers[])' "$MANIFEST" | sort -u
}

# One random password per principal, kept: a file per principal, readable by its owner only.
ensure_passwords() {
  local name
  mkdir -p "$KAFKA_SECRETS_DIR"
  chmod 700 "$KAFKA_SECRETS_DIR"
  for name in $(principals); do
    [[ -s "$KAFKA_SECRETS_DIR/$name" ]] && continue
    (umask 077 && openssl rand -hex 24 >"$KAFKA_SECRETS_DIR/$name")
  done
}

# A local CA and the broker's certificate for 127.0.0.1 and localhost, made once. The broker
# reads PEM directly (ssl.keystore.type=PEM: key and chain in one file).
ensure_tls() {
  if [[ ! -s "$TLS_DIR/broker.pem" || ! -s "$TLS_DIR/ca.pem" ]]; then
    log "making a local CA and the broker's certificate in $TLS_DIR"
    mkdir -p "$TLS_DIR"
    chmod 700 "$TLS_DIR"
    (
      cd "$TLS_DIR"
      umask 077
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 825 \
        -subj "/CN=tracking local Kafka CA" -addext "basicConstraints=critical,CA:true" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=kafka-broker" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >broker.ext
      openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.crt \
        -days 825 -extfile broker.ext 2>/dev/null
      openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pk8
      cat broker.pk8 broker.crt >broker.pem
      rm -f broker.csr broker.ext broker.key broker.pk8
    )
  fi
  cp "$TLS_DIR/ca.pem" "$KAFKA_SECRETS_DIR/ca.pem"
}

# The admin's client settings, for the Java tools (readiness, SCRAM users).
write_admin_properties() {
  local password
  password="$(<"$KAFKA_SECRETS_DIR/admin")"
  (
    umask 077
    printf '%s\n' 'security.protocol=SASL_SSL' 'sasl.mechanism=SCRAM-SHA-512' \
      "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$password\";" \
      'ssl.truststore.type=PEM' "ssl.truststore.location=$TLS_DIR/ca.pem" >"$ADMIN_PROPS"
  )
}

write_properties() {
  local tpl
  tpl="$(<"$ROOT/scripts/kafka/server.properties")"
  # The secured listener's settings come last: a later key wins in a properties file.
  if scram; then
    tpl+=$'\n'"$(<"$ROOT/scripts/kafka/scram.properties")"
    tpl="${tpl//@TLS_DIR@/$TLS_DIR}"
    tpl="${tpl//@ADMIN_PASSWORD@/$(<"$KAFKA_SECRETS_DIR/admin")}"
  fi
  tpl="${tpl//@KAFKA_PORT@/$KAFKA_PORT}"
  tpl="${tpl//@KAFKA_CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT}"
  tpl="${tpl//@DATA_DIR@/$KDIR/data}"
  (umask 077 && printf '# Generated by scripts/kafka.sh from scripts/kafka/server.properties; do not edit.\n%s\n' \
    "$tpl" >"$PROPS")
}

# SCRAM users are metadata: the first format writes them all; a service added to the manifest
# later gets its user from the running broker (ConfigCommand, as the admin).
scram_users_at_format() {
  local name
  for name in $(principals); do
    printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$name" "$(<"$KAFKA_SECRETS_DIR/$name")"
  done
}

ensure_scram_users() {
  local name known
  known="$(kjava kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --command-config "$ADMIN_PROPS" --describe --entity-type users 2>/dev/null)" || die "cannot list the SCRAM users"
  for name in $(principals); do
    grep -q "user-principal '$name'" <<<"$known" && continue
    log "adding the SCRAM user $name"
    kjava kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
      --command-config "$ADMIN_PROPS" --alter --entity-type users --entity-name "$name" \
      --add-config "SCRAM-SHA-512=[password=$(<"$KAFKA_SECRETS_DIR/$name")]" >/dev/null
  done
}

# Format the storage once; the cluster id is generated once and kept.
format_storage() {
  [[ -f "$KDIR/data/meta.properties" ]] && return 0
  if [[ ! -s "$KDIR/cluster-id" ]]; then
    kjava kafka.tools.StorageTool random-uuid >"$KDIR/cluster-id.tmp"
    mv "$KDIR/cluster-id.tmp" "$KDIR/cluster-id"
  fi
  log "formatting Kafka storage in $KDIR/data"
  local users=()
  if scram; then mapfile -t users < <(scram_users_at_format); fi
  kjava kafka.tools.StorageTool format -t "$(<"$KDIR/cluster-id")" -c "$PROPS" "${users[@]}" >&2
  echo "$KAFKA_SECURITY" >"$KDIR/security"
}

# Storage formatted before KAFKA_SECURITY existed is plaintext's. A broker cannot change modes in
# place: its SCRAM users (the admin's above all) are written when the storage is formatted.
check_mode() {
  local formatted
  [[ -f "$KDIR/data/meta.properties" ]] || return 0
  formatted="$(cat "$KDIR/security" 2>/dev/null || echo plaintext)"
  [[ "$formatted" == "$KAFKA_SECURITY" ]] ||
    die "the Kafka storage in $KDIR is $formatted, not KAFKA_SECURITY=$KAFKA_SECURITY: stop it (npm run down), remove $KDIR (its topics and events go) and start again"
}

# The pid from the pid file, if that process is alive and is our broker.
running_pid() {
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS" || return 1
  echo "$pid"
}

# Ready = the port accepts and the broker answers an ApiVersions request
# (a small client JVM: ~1.5 s here, so worth it for an honest check).
broker_answers() {
  local out login=()
  if scram; then login=(--command-config "$ADMIN_PROPS"); fi
  out="$(timeout 20 java -Xmx64m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$LIBS/*" \
    org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    "${login[@]}" 2>/dev/null)" && [[ "$out" == *"(id: 1 "* ]]
}

show_logs() {
  log "last 40 lines of $LOGFILE:"
  tail -n 40 "$LOGFILE" >&2 2>/dev/null || true
  if [[ -s "$OUT" ]]; then log "last 20 lines of $OUT:"; tail -n 20 "$OUT" >&2; fi
}

wait_ready() {
  local pid="$1" start=$SECONDS
  until port_open 127.0.0.1 "$KAFKA_PORT" && broker_answers; do
    if ! alive "$pid"; then
      show_logs
      die "Kafka exited during startup"
    fi
    if (( SECONDS - start >= 90 )); then
      show_logs
      die "Kafka not ready after 90s"
    fi
    sleep 1
  done
}

cmd_install() {
  ensure_tools
  ensure_libs
  mkdir -p "$KDIR/data" "$LOGDIR" "$(dirname "$PIDFILE")"
  if scram; then
    ensure_passwords
    ensure_tls
    write_admin_properties
  fi
  write_properties
  format_storage
}

cmd_start() {
  local pid
  check_mode
  if pid="$(running_pid)"; then
    grep -q "127.0.0.1:$KAFKA_PORT" "$PROPS" ||
      die "the running Kafka was started with other ports than 127.0.0.1:$KAFKA_PORT: npm run down, then start again"
    port_open 127.0.0.1 "$KAFKA_PORT" || wait_ready "$pid"   # still starting up
    return 0
  fi
  cmd_install
  ensure_port_free "Kafka" "$KAFKA_PORT"
  ensure_port_free "Kafka's controller" "$KAFKA_CONTROLLER_PORT"
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (log: $LOGFILE)"
  # setsid: the broker must not die with the shell/terminal that started it.
  setsid java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dkafka.logs.dir="$LOGDIR" \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$PROPS" </dev/null >>"$OUT" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  wait_ready "$pid"
  if scram; then ensure_scram_users; fi
}

cmd_stop() {
  local pid start=$SECONDS
  if pid="$(running_pid)"; then
    log "stopping Kafka (pid $pid)"
    kill -TERM "$pid"
    while alive "$pid" && (( SECONDS - start < 30 )); do sleep 0.5; done
    if alive "$pid"; then
      log "Kafka did not stop within 30s; killing it"
      kill -KILL "$pid"
    fi
  fi
  rm -f "$PIDFILE"
}

cmd_status() {
  if running_pid >/dev/null; then
    echo "kafka: running (127.0.0.1:$KAFKA_PORT, $KAFKA_SECURITY)"
  else
    echo "kafka: stopped"
  fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 {install|start|stop|status}" >&2; exit 2 ;;
esac
