#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# schemathesis (PyPI), pinned, in its own venv in the download cache: the API fuzzer that
# tests/e2e/schemathesis.test.ts runs against the live gateway (docs/security.md, "Hostile input").
#   scripts/schemathesis.sh install   install it if that version is not there yet (npm test does)
#   scripts/schemathesis.sh path      print the CLI's path
# shellcheck source=chart-tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/chart-tools.sh"

SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS="$CACHE/venv-schemathesis/bin/schemathesis"

case "${1:-}" in
  install) ensure_venv "$CACHE/venv-schemathesis" schemathesis "$SCHEMATHESIS_VERSION" ;;
  path) printf '%s\n' "$SCHEMATHESIS" ;;
  *) die "usage: scripts/schemathesis.sh install|path" ;;
esac
