#!/usr/bin/env bash
# Generates the Prisma client of the service in the current folder, offline.
# The Prisma CLI insists on a schema engine binary before it will generate, and would download
# one; generation itself does not run it (Prisma 7 clients use the query compiler and a driver
# adapter), so any existing file satisfies the check. Migrations are plain SQL (postgrator).
set -euo pipefail
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(command -v node)}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
exec npx --no-install prisma generate --no-hints
