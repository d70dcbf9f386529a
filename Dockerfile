# roster-watch container image.
#
# Ordinary machines:   docker build -t roster-watch .
# Machines without a registry (CI here): `bash docker/ci-engine.sh start` builds two local bases, then
#   DOCKER_BUILDKIT=0 docker build --network host \
#     --build-arg NODE_IMAGE=roster-watch/node-runtime:local \
#     --build-arg BUILD_IMAGE=roster-watch/node-build:local -t roster-watch:local .
#
# The runtime stage uses no RUN instruction, so it also works on a base without a shell
# (roster-watch/node-runtime:local has only node and its libraries).
# Default: Node 24, the newest LTS line that better-sqlite3 12 supports (its engines stop at 24).
ARG NODE_IMAGE=node:24-bookworm-slim
ARG BUILD_IMAGE=${NODE_IMAGE}

# ---------------------------------------------------------------------------------------------- build
FROM ${BUILD_IMAGE} AS build
ENV CI=true \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
WORKDIR /src

# better-sqlite3 downloads a prebuilt addon when it can and compiles otherwise; the slim Node images
# have no compiler, so install one there (no-op on the local build base, which has python3/make/g++).
RUN if ! command -v g++ >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
      apt-get update && \
      apt-get install -y --no-install-recommends python3 make g++ && \
      rm -rf /var/lib/apt/lists/*; \
    fi

# Dependencies first (cached while package*.json do not change). --ignore-scripts because `prepare`
# runs the build, which needs the sources; better-sqlite3 is the only production dependency with an
# install script, so it is rebuilt explicitly. Node's headers: the official images keep them in
# /usr/local/include/node, the local build base in /usr/include/node (npm_config_nodedir is set there).
COPY package.json package-lock.json ./
RUN if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/local/include/node/node.h ]; then \
      export npm_config_nodedir=/usr/local; \
    fi && \
    npm ci --ignore-scripts && \
    npm rebuild better-sqlite3 && \
    node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"

# Everything else the build needs (.dockerignore keeps node_modules, dist, data, tests and docs out).
# One COPY of the context rather than a list: an empty schemas/ is not in a git checkout, and a COPY of
# a missing path fails the build.
COPY . .
RUN npm run build && \
    test -f dist/cli.js && \
    test -f dist/service/healthcheck.js && \
    npm prune --omit=dev && \
    rm -rf node_modules/better-sqlite3/deps \
           node_modules/better-sqlite3/src \
           node_modules/better-sqlite3/build/Release/obj.target \
           node_modules/better-sqlite3/build/Release/.deps \
           node_modules/better-sqlite3/build/deps && \
    mkdir -p /out/app /out/data && \
    cp -a package.json node_modules dist /out/app/ && \
    for d in migrations schemas; do \
      if [ -n "$(ls -A "$d" 2>/dev/null)" ]; then cp -a "$d" /out/app/; fi; \
    done && \
    find /out/app/dist -name '*.map' -delete && \
    chmod -R a+rX,go-w /out/app

# -------------------------------------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="roster-watch" \
      org.opencontainers.image.description="Watches a VictorOps roster and reports drift" \
      org.opencontainers.image.licenses="MIT"
# No heap cap in NODE_OPTIONS: the CLI applies its own V8 setting at start (src/runtime-memory.ts),
# which keeps the heap compact, and a 20,000-user poll runs under `--memory=128m` with
# or without a cap (test/containers, docs/benchmarks.md "Lean polls"). A cap of 256 MB above such a
# limit never took effect: the kernel ends the container first. To make V8 fail with its own
# message before the kernel does, set NODE_OPTIONS=--max-old-space-size to about 3/4 of the limit.
ENV NODE_ENV=production \
    DATABASE_PATH=/data/roster-watch.db \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
WORKDIR /app
# Application files stay root-owned (read-only for the service user); only /data is the user's.
COPY --from=build /out/app /app
COPY --from=build --chown=1000:1000 /out/data /data
# uid 1000 is `node` in both the official Node images and roster-watch/node-runtime:local. Numeric,
# so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
VOLUME /data
EXPOSE 8080
# The probe runs inside the container with the container's environment (these ENV defaults, or
# what `docker run -e` / compose / Kubernetes set), and reads the same HTTP_HOST and HTTP_PORT as
# the service: a service bound to one address is probed there, a wildcard bind (0.0.0.0, ::) on
# loopback. So changing HTTP_HOST or HTTP_PORT needs no change here.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "/app/dist/service/healthcheck.js"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["run"]
