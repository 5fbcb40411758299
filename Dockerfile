# syntax=docker/dockerfile:1
#
# One image per service, built from the repository root:
#
#   docker build --build-arg SERVICE=gateway --build-arg VERSION=0.1.0 \
#     --build-arg REVISION="$(git rev-parse HEAD)" -t tracking/gateway .
#
# SERVICE is one of: gateway, auth, tracking, audit, ai-inference, billing, backup, notifications, privacy
# (a folder under services/).
#
# The services run their TypeScript through tsx, in the image as locally and in the tests
# (`node --import tsx ...`). The workspaces export their sources (`main` and `exports` name .ts
# files; tsconfig.base.json has noEmit), so compiled output would need rewritten package
# manifests and would be a module graph the tests never ran. tsx is the one root devDependency
# the image keeps; it transforms each file once at start-up, with esbuild.
#
# What the container runs (WORKDIR /app; an override replaces the whole command line):
#   the service (CMD)   node --enable-source-maps --import tsx main.ts
#                       (main.ts is a link to services/$SERVICE/src/main.ts)
#   its migrations      command: [node, --import, tsx, packages/kit/src/migrate-cli.ts], as a Job,
#                       with DATABASE_URL (the migration role's URL) and
#                       MIGRATIONS_DIR=services/$SERVICE/migrations
#   the first admin     command: [node, --import, tsx, services/auth/src/bootstrap-admin.ts,
#                       --email, <address>, --name, <name>]   (auth, once per deployment)
#   backups and drills  command: [node, --enable-source-maps, --import, tsx,
#                       services/backup/src/cli.ts, backup | drill | prune]   (the chart's CronJobs)
# The command is CMD with an empty ENTRYPOINT, as `skaffold debug` needs: it adds --inspect to a
# node command line, and rewriting an ENTRYPOINT would drop the CMD (Kubernetes ignores an
# image's CMD once a pod sets `command`). `node` is on PATH.
#
# At run time: UID 65532, no shell, and nothing written to the root filesystem, which can be
# mounted read-only. Logs go to stdout (leave LOG_FILE unset). tsx's transform cache is off
# (TSX_DISABLE_CACHE): it would be written under /tmp, and without a writable /tmp tsx stops at
# start-up; a pod's first start transforms every file anyway, so the cache saved ~1 s only on a
# container restart. Mount an emptyDir at /tmp all the same, for auth's MAIL_DROP_FILE (the file
# mailer) and for any library that wants a temporary file.

# ---------------------------------------------------------------------------------------------
# Debian 12 in every build stage, like the distroless runtime, so the prebuilt native modules
# npm picks (@node-rs/argon2's linux-<arch>-gnu) match the runtime's glibc. Build for the
# target platform (no --platform=$BUILDPLATFORM): npm installs that platform's binaries.
# Pin by digest where the registry is reachable (docker buildx imagetools inspect <image>):
#   node:24.21.0-bookworm-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
FROM node:24.21.0-bookworm-slim AS prune
ARG SERVICE
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /repo
COPY . .
RUN test -n "${SERVICE}" && test -f "services/${SERVICE}/package.json" \
  || { echo "SERVICE must name a folder under services/ (got '${SERVICE}')" >&2; exit 1; }
# The service's workspace closure (it, packages/kit, packages/contracts, packages/proto) and a
# lockfile cut down to it: json/ holds only the manifests, for an install layer that source
# edits do not invalidate. turbo's version is the lockfile's.
RUN npx --yes turbo@2.11.11 prune "@tracking/${SERVICE}" --docker --out-dir /out
# Of the root devDependencies the image needs two: tsx, which runs the services (made a
# dependency, so that the production install includes it), and prisma, which generates the
# client. Dropping the rest (buf, swc, jest, eslint, turbo) is also what lets `npm ci` accept
# the lockfile: it lacks those tools' other-platform binaries (npm/cli#8320, scripts/deps.sh).
WORKDIR /out/json
RUN tsx="$(npm pkg get devDependencies.tsx | tr -d '"')" \
  && prisma="$(npm pkg get devDependencies.prisma | tr -d '"')" \
  && npm pkg delete scripts devDependencies \
  && npm pkg set "dependencies.tsx=${tsx}" "devDependencies.prisma=${prisma}" \
  && cp package.json ../full/package.json

# ---------------------------------------------------------------------------------------------
# Everything the build needs, prisma included.
# node:24.21.0-bookworm-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
FROM node:24.21.0-bookworm-slim AS deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=prune /out/json/ ./
# Exactly the locked versions. No install scripts: every dependency works from its prebuilt
# files (docs/dependencies.md).
RUN --mount=type=cache,target=/root/.npm \
  npm ci --ignore-scripts --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# What the service runs with: the production dependencies and tsx, installed on their own.
# `npm prune --omit=dev` would keep prisma and its tooling (~150 MB): @prisma/client's optional
# peer dependency on it counts as a production edge. Left out of the manifest, it is not installed.
# node:24.21.0-bookworm-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
FROM node:24.21.0-bookworm-slim AS runtime-deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=prune /out/json/ ./
RUN --mount=type=cache,target=/root/.npm \
  npm pkg delete devDependencies \
  && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm package-lock.json

# ---------------------------------------------------------------------------------------------
FROM deps AS build
ARG SERVICE
COPY --from=prune /out/full/ ./
COPY tsconfig.json tsconfig.base.json ./
COPY scripts/prisma-generate.sh scripts/
# The Prisma client is generated, never committed: what `npm run generate` does, for this
# service only, offline (scripts/prisma-generate.sh). The gateway and ai-inference have none.
RUN if [ -f "services/${SERVICE}/prisma/schema.prisma" ]; then \
      cd "services/${SERVICE}" && CHECKPOINT_DISABLE=1 bash ../../scripts/prisma-generate.sh; \
    fi
# Only what runs, from each workspace: its sources (the generated client included) and its
# migrations; no tests or schemas, and not the kit's test helpers. The manifests and the
# dependencies come from runtime-deps. The root tsconfigs go along because tsx reads the one in
# the working directory, as it does locally.
RUN mkdir -p /image \
  && cp tsconfig.json tsconfig.base.json /image/ \
  && for workspace in packages/* services/*; do \
       mkdir -p "/image/${workspace}"; \
       for part in src migrations; do \
         if [ -e "${workspace}/${part}" ]; then cp -a "${workspace}/${part}" "/image/${workspace}/"; fi; \
       done; \
     done \
  && rm -rf /image/packages/kit/src/testing \
  && ln -s "services/${SERVICE}/src/main.ts" /image/main.ts
# The privacy service writes each export's README from the data inventory when it assembles
# the export (services/privacy/src/export/inventory.ts reads <app>/docs/data-inventory.yaml).
# The catalogue holds no secret; every image carries it, like the other sources.
COPY docs/data-inventory.yaml /image/docs/data-inventory.yaml

# ---------------------------------------------------------------------------------------------
# The backup service runs pg_dump and pg_restore, which must be at least as new as the servers
# they dump (CloudNativePG's default in the chart is PostgreSQL 17). The official image of that
# major version provides them; they and the shared libraries they load (libpq, OpenSSL, LZ4,
# zstd, ...; not glibc, which the runtime has) are copied to /pgclient for the backup image, and
# /pgclient stays empty for every other service.
#   postgres:17.6-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000000
FROM postgres:17.6-bookworm AS pgclient
ARG SERVICE
RUN mkdir -p /pgclient/usr/local/bin \
  && if [ "${SERVICE}" = backup ]; then \
       bin=/usr/lib/postgresql/17/bin \
       && cp "${bin}/pg_dump" "${bin}/pg_restore" /pgclient/usr/local/bin/ \
       && ldd "${bin}/pg_dump" "${bin}/pg_restore" | awk '/=> \// { print $3 }' | sort -u \
          | grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' \
          | while read -r lib; do cp --parents -L "${lib}" /pgclient/; done \
       && /pgclient/usr/local/bin/pg_dump --version; \
     fi

# ---------------------------------------------------------------------------------------------
# Node 24 and glibc only: no shell, no package manager. The :nonroot tag runs as 65532.
#   gcr.io/distroless/nodejs24-debian12:nonroot@sha256:0000000000000000000000000000000000000000000000000000000000000000
FROM gcr.io/distroless/nodejs24-debian12:nonroot
ARG SERVICE
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/tracking-platform/tracking-platform
LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.description="Tracking platform: the ${SERVICE} service" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="LicenseRef-Proprietary"
ENV NODE_ENV=production \
    TSX_DISABLE_CACHE=1 \
    PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin
WORKDIR /app
# Dependencies and manifests first: a layer that only a manifest or lockfile change
# invalidates. Files stay root-owned, so the service cannot change its own code.
COPY --from=runtime-deps /app/ ./
COPY --from=build /image/ ./
# pg_dump and pg_restore on PATH for the backup image; nothing for the others.
COPY --from=pgclient /pgclient/ /
USER 65532:65532
ENTRYPOINT []
CMD ["/nodejs/bin/node", "--enable-source-maps", "--import", "tsx", "main.ts"]
