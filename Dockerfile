# kubestitch container image.
#   docker build -t kubestitch:dev .
#   kind load docker-image kubestitch:dev --name kubestitch
# Two stages: the build stage has the dev toolchain (TypeScript) and compiles to dist/; the runtime
# stage holds only production dependencies, the compiled code and the launcher, and runs as an
# unprivileged numeric user so `runAsNonRoot` can verify it without a passwd lookup.
ARG NODE_IMAGE=node:24.22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first, so source edits reuse the cached layer. Install scripts stay off: LevelDB
# (classic-level) loads the prebuilt binary it ships for linux-x64/arm64 at run time.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs ./scripts/
COPY src ./src
COPY storage ./storage
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
# 10001: outside the range of users a node image or a host is likely to define; the chart's
# securityContext uses the same uid/gid. The data dir is the only writable path.
RUN groupadd --system --gid 10001 kubestitch \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin kubestitch \
    && mkdir -p /var/lib/kubestitch /etc/kubestitch \
    && chown 10001:10001 /var/lib/kubestitch
USER 10001:10001
VOLUME ["/var/lib/kubestitch"]
# Audit webhook (HTTPS), OTLP gRPC, OTLP HTTP, viewer + Jaeger query API, /metrics + health.
EXPOSE 8443 4317 4318 16686 9464
LABEL org.opencontainers.image.title="kubestitch" \
      org.opencontainers.image.description="Distributed traces of Kubernetes controller-level work, exported as OTLP" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["node", "/app/bin/kubestitch.js"]
CMD ["run", "--config", "/etc/kubestitch/config.yaml"]
