#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The local gRPC PKI (docs/grpc-security.md; docs/development.md, "Local PKI"): a CA and one
# certificate per component, whose URI SAN spiffe://tracking/<component> is the identity a gRPC
# server checks against its allowed callers. The chart's cert-manager Certificates carry the same.
#   scripts/pki.sh [ensure [component...]]
#       make what is missing, and reissue a certificate that expires within 7 days, is not signed
#       by the current CA, does not match its key or lacks its identity. Idempotent; scripts/infra.sh
#       up runs it. The components are the chart's (scripts/stack.ts components) unless named.
#   scripts/pki.sh issue <component> <out> [days] [ca-dir]
#       a certificate for <component> now, from a new key, as <out>.crt and <out>.key, signed by the
#       CA in ca-dir (default: this PKI's); days may be negative (an expired certificate, for tests).
#       Each file is replaced by a rename, so a reader sees the old file or the new one.
# The files live in $GRPC_SECRETS_DIR (scripts/lib.sh: .local/secrets/grpc): ca.crt, ca.key and
# <component>.crt, <component>.key; the keys are the owner's only (0600). EC P-256, certificates
# valid 30 days (the CA ten years), serverAuth and clientAuth: one key pair serves and calls.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$GRPC_SECRETS_DIR"
CERT_DAYS=30
CA_DAYS=3650
RENEW_BEFORE=$((7 * 86400))

# new_key file: a fresh EC P-256 private key (PKCS#8 PEM), readable by its owner only.
new_key() {
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
}

# A serial of 128 random bits, positive.
serial() { printf '0x1%s' "$(openssl rand -hex 15)"; }

# same_key cert key: the certificate is for this private key.
same_key() {
  [[ "$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null)" == "$(openssl pkey -in "$2" -pubout 2>/dev/null)" ]]
}

ensure_ca() {
  if [[ -s "$DIR/ca.crt" && -s "$DIR/ca.key" ]] && same_key "$DIR/ca.crt" "$DIR/ca.key" &&
    openssl x509 -in "$DIR/ca.crt" -noout -checkend "$RENEW_BEFORE" >/dev/null; then
    return
  fi
  log "making the local gRPC CA in ${DIR#"$ROOT"/}"
  new_key "$DIR/ca.key.tmp"
  openssl req -x509 -new -key "$DIR/ca.key.tmp" -out "$DIR/ca.crt.tmp" -days "$CA_DAYS" -set_serial "$(serial)" \
    -subj "/O=tracking/CN=tracking local gRPC CA" \
    -addext "basicConstraints=critical,CA:true,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  chmod 644 "$DIR/ca.crt.tmp"
  mv -f "$DIR/ca.key.tmp" "$DIR/ca.key"
  mv -f "$DIR/ca.crt.tmp" "$DIR/ca.crt"
}

# issue component out days ca_dir [keep]: <out>.crt for the component, signed by ca_dir's CA; from
# a new key unless `keep` and <out>.key exists (a renewal: the key file then never changes, so
# the certificate's rename is the only change a reader can see).
issue() {
  local component="$1" out="$2" days="$3" ca="$4" keep="${5:-}"
  [[ "$component" =~ ^[a-z][a-z-]*$ ]] || die "not a component name: $component"
  local key="$out.key"
  if [[ -z "$keep" || ! -s "$key" ]]; then
    new_key "$out.key.tmp"
    key="$out.key.tmp"
  fi
  openssl req -new -key "$key" -subj "/O=tracking/CN=$component" 2>/dev/null |
    openssl x509 -req -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -set_serial "$(serial)" -days "$days" \
      -out "$out.crt.tmp" -extfile <(
        printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
          'extendedKeyUsage=serverAuth,clientAuth' 'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' \
          "subjectAltName=URI:spiffe://tracking/$component,DNS:localhost,IP:127.0.0.1"
      ) 2>/dev/null || die "could not issue $component's certificate"
  chmod 644 "$out.crt.tmp"
  [[ "$key" == "$out.key" ]] || mv -f "$key" "$out.key"
  mv -f "$out.crt.tmp" "$out.crt"
}

# current component: the certificate is there, matches its key, names the component, was signed
# by the current CA and is valid for more than 7 days.
current() {
  local crt="$DIR/$1.crt" key="$DIR/$1.key"
  [[ -s "$crt" && -s "$key" ]] && same_key "$crt" "$key" &&
    openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | grep -qE "URI:spiffe://tracking/$1(,|$)" &&
    openssl verify -CAfile "$DIR/ca.crt" "$crt" >/dev/null 2>&1 &&
    openssl x509 -in "$crt" -noout -checkend "$RENEW_BEFORE" >/dev/null
}

ensure() {
  local components=("$@") component issued=()
  if ((${#components[@]} == 0)); then
    ensure_node
    mapfile -t components < <(cd "$ROOT" && node --import tsx scripts/stack.ts components)
    ((${#components[@]} > 0)) || die "scripts/stack.ts named no components"
  fi
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  ensure_ca
  for component in "${components[@]}"; do
    current "$component" && continue
    issue "$component" "$DIR/$component" "$CERT_DAYS" "$DIR" keep
    issued+=("$component")
  done
  ((${#issued[@]} == 0)) || log "issued gRPC certificates in ${DIR#"$ROOT"/}: ${issued[*]}"
}

case "${1:-ensure}" in
  ensure) shift $(($# > 0 ? 1 : 0)) && ensure "$@" ;;
  issue)
    (($# >= 3)) || { echo "usage: $0 issue <component> <out> [days] [ca-dir]" >&2; exit 2; }
    issue "$2" "$3" "${4:-$CERT_DAYS}" "${5:-$DIR}"
    ;;
  *) echo "usage: $0 [ensure [component...]] | issue <component> <out> [days] [ca-dir]" >&2; exit 2 ;;
esac
