#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The dependency checks of npm test (docs/supply-chain.md), offline, from the installed tree:
#   1. a CycloneDX SBOM of the production dependencies of every workspace, written to
#      .local/artifacts/sbom.json, the artefact CI keeps;
#   2. every installed package's licence against the allow-list below (license-checker-rseidelsohn);
#   3. no package with an install script that scripts/install-scripts.ts does not allow.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Licences whose terms a SaaS using the package unmodified meets by keeping notices. CC-BY-* and
# the Python/PSF licences cover data files and ports (caniuse-lite, argparse).
ALLOWED_LICENCES="MIT;MIT-0;ISC;0BSD;Apache-2.0;BSD-2-Clause;BSD-3-Clause;BlueOak-1.0.0;Unlicense;CC0-1.0;CC-BY-3.0;CC-BY-4.0;Python-2.0;PSF-2.0"
# File-level copyleft, reviewed per package and used unmodified: axe-core (MPL-2.0, the browser
# journeys' accessibility checks), lightningcss (MPL-2.0, the web build), elkjs (EPL-2.0, a
# diagram layout in the dev tooling). Anything else new that is not on the list fails.
REVIEWED_PACKAGES="axe-core;@axe-core/playwright;lightningcss;lightningcss-linux-x64-gnu;elkjs"

SBOM="$LOCAL/artifacts/sbom.json"
mkdir -p "$(dirname "$SBOM")"
log "writing the CycloneDX SBOM of the production dependencies to ${SBOM#"$ROOT"/}"
# --ignore-npm-errors: `npm ls` calls the tree invalid because @hookform/resolvers' optional peers
# (ajv 8, effect 4) resolve to the older majors other packages brought; the SBOM lists what is
# installed either way. The check below makes sure it is not empty.
npx --no-install cyclonedx-npm --omit dev --ignore-npm-errors --spec-version 1.6 \
  --output-reproducible --output-format JSON --output-file "$SBOM" 2>/dev/null
components="$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log((s.components ?? []).length)' "$SBOM")"
(( components > 100 )) || die "the SBOM lists only $components components"
log "SBOM: $components components"

log "checking every installed package's licence against the allow-list"
npx --no-install license-checker-rseidelsohn --excludePrivatePackages --summary \
  --onlyAllow "$ALLOWED_LICENCES" --excludePackagesStartingWith "$REVIEWED_PACKAGES" >/dev/null

log "checking that no dependency has an install script nobody allowed"
npx --no-install tsx scripts/install-scripts.ts
