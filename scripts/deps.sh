#!/usr/bin/env bash
# Node 24, the npm dependencies (from the lockfile) and the generated Prisma clients. Idempotent:
# the install runs only when package-lock.json changed since the last one.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node

marker="$ROOT/node_modules/.package-lock.sha256"
sum="$(sha256sum <"$ROOT/package-lock.json")"
if [[ "$(cat "$marker" 2>/dev/null)" != "$sum" ]]; then
  log "installing npm dependencies from package-lock.json"
  # Not `npm ci`: npm 11 leaves other platforms' optional binaries (@swc/core-darwin-*, ...) out
  # of the lockfile and `npm ci` then refuses it as out of sync (npm/cli#8320). `install
  # --no-save` installs exactly the locked versions and never rewrites the lockfile.
  # Packages' install scripts stay blocked: every dependency works from its prebuilt files
  # (see docs/dependencies.md), so none needs one.
  (cd "$ROOT" && npm install --no-save --no-audit --no-fund --loglevel=error)
  echo "$sum" >"$marker"
fi

for schema in "$ROOT"/services/*/prisma/schema.prisma; do
  service_dir="$(dirname "$(dirname "$schema")")"
  (cd "$service_dir" && bash "$ROOT/scripts/prisma-generate.sh" >/dev/null)
done
