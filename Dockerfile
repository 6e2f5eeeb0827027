# ResearcherAI API image. The build stage type-checks and compiles src/ to dist/ with the dev
# dependencies; the runtime stage has production dependencies only and runs the compiled entry point.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.web.json ./
COPY scripts/build-assets.mjs scripts/build-web.ts ./scripts/
COPY src ./src
COPY web ./web
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json ./
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node data ./data
COPY --chown=node:node prompts ./prompts
USER node
EXPOSE 8000
# No curl in the slim image; Node's fetch is enough. /healthz is liveness only (no dependencies).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# A young generation of 2 × 32 MiB (V8's default here is 2 × 16): what the telemetry allocates for a query
# then dies there instead of being promoted (docs/BENCHMARKS.md, "A larger young generation").
CMD ["node", "--max-semi-space-size=32", "dist/main.js"]
