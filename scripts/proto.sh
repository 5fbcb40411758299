#!/usr/bin/env bash
# Lint, breaking-check and generate the TypeScript for every .proto in proto/
# (STYLE.md, "Protos are one source of truth").
#   scripts/proto.sh           regenerate packages/proto/src/gen (npm run proto)
#   scripts/proto.sh --check   fail if packages/proto/src/gen is stale (CI)
# Needs Node on PATH and `npm install` done; never touches the network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

GEN=packages/proto/src/gen        # also `out` in proto/buf.gen.yaml
TEMPLATE=proto/buf.gen.yaml
BUF=node_modules/.bin/buf         # pinned by package-lock.json (not npx: no "npm warn" noise)

log() { printf '[proto] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

check=false
case "${1:-}" in
  '') ;;
  --check) check=true ;;
  *) die "unknown argument '$1' (usage: scripts/proto.sh [--check])" ;;
esac
(( $# <= 1 )) || die "too many arguments (usage: scripts/proto.sh [--check])"

command -v node >/dev/null || die "node is not on PATH (the ts-proto plugin runs on Node 24)"
[[ -x "$BUF" && -x node_modules/.bin/protoc-gen-ts_proto ]] \
  || die "buf or protoc-gen-ts_proto missing from node_modules/.bin: run npm install"

log "buf lint"
"$BUF" lint proto

# Compare with the tip of main, i.e. the last merged state of the protos. Only a
# missing proto/ on main is a reason to skip; a missing main branch is an error,
# so that CI cannot silently stop checking (fetch it: git fetch origin main:main).
git rev-parse --verify --quiet refs/heads/main >/dev/null \
  || die "no local branch 'main' to check breaking changes against; run: git fetch origin main:main"
if git cat-file -e main:proto 2>/dev/null; then
  log "buf breaking against main"
  "$BUF" breaking proto --against '.git#branch=main,subdir=proto'
else
  log "skipping buf breaking: branch main has no proto/ yet, so there is no published API to break"
fi

if ! $check; then
  log "buf generate -> $GEN"
  rm -rf "$GEN"   # a deleted .proto must leave no generated file behind
  "$BUF" generate proto --template "$TEMPLATE"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log "buf generate into a temporary folder to compare with $GEN"
"$BUF" generate proto --template "$TEMPLATE" --output "$tmp"

list_files() { [[ -d "$1" ]] && (cd "$1" && find . -type f | sed 's|^\./||'); return 0; }

stale=()
while IFS= read -r file; do
  if [[ ! -f "$GEN/$file" ]]; then
    stale+=("$GEN/$file (missing)")
  elif [[ ! -f "$tmp/$GEN/$file" ]]; then
    stale+=("$GEN/$file (no proto generates it any more)")
  elif ! cmp -s "$GEN/$file" "$tmp/$GEN/$file"; then
    stale+=("$GEN/$file (differs)")
  fi
done < <({ list_files "$GEN"; list_files "$tmp/$GEN"; } | LC_ALL=C sort -u)

if (( ${#stale[@]} > 0 )); then
  log "error: the generated code is stale; run \`npm run proto\` and commit the result:"
  printf '  %s\n' "${stale[@]}" >&2
  log "first lines of the difference (committed -> expected):"
  diff -ruN "$GEN" "$tmp/$GEN" | head -n 60 >&2 || true
  exit 1
fi
log "generated code is up to date"
