# syntax=docker/dockerfile:1
# The Safe Code Executor service itself (not the sandbox image its programs run in).
# It needs a Docker engine to create the sandboxes: see docker-compose.yml and docs/OPERATIONS.md.

# --- build: dev dependencies, TypeScript -> dist/, web page bundle ------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY scripts ./scripts
# The web page: web/*.ts is bundled into public/app.js by `npm run build`.
COPY web ./web
COPY public ./public
RUN npm run build

# --- runtime: production dependencies only, non-root ----------------------------------------
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PORT=5000 \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public
# The image's own unprivileged user (uid 1000). Reaching the engine's socket needs its group
# (group_add in docker-compose.yml); a TCP engine (socket proxy, remote TLS host) needs nothing.
USER node
EXPOSE 5000
# No npm in the way: SIGTERM reaches node, which drains runs in flight and exits 0.
CMD ["node", "dist/src/main.js"]
