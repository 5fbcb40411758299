#!/usr/bin/env bash
# ensure_node: put a Node 24 on PATH.
#   source scripts/node.sh && ensure_node   # exports PATH
#   bash scripts/node.sh                    # prints the path of the node binary
# Uses `node` from PATH if it is already v24.x, otherwise installs the `node@24` npm
# package into "$CACHE/node24" (once) and prepends its bin/ to PATH.

ensure_node() {
  local cache="${CACHE:-${TRACKING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracking-platform}}"
  local prefix="$cache/node24"
  if [[ "$(node --version 2>/dev/null || true)" == v24.* ]]; then
    return 0
  fi
  if [[ "$("$prefix/bin/node" --version 2>/dev/null || true)" != v24.* ]]; then
    printf '[infra] installing Node 24 into %s\n' "$prefix" >&2
    mkdir -p "$prefix"
    # npm warns that the package's preinstall script was not run; the binary works anyway.
    npm install -g --prefix "$prefix" --no-fund --no-audit node@24 >&2
    local version
    version="$("$prefix/bin/node" --version 2>/dev/null || true)"
    if [[ "$version" != v24.* ]]; then
      printf '[infra] error: %s/bin/node is %s, expected v24.x\n' "$prefix" "${version:-missing}" >&2
      return 1
    fi
  fi
  PATH="$prefix/bin:$PATH"
  export PATH
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  ensure_node
  command -v node
fi
