# Production image on a supported Node LTS: a reproducible install (npm ci), build once, run
# the compiled service as the unprivileged `node` user.
#
# The image expects an external PostgreSQL in DATABASE_URL (see docker-compose.yml). Without
# DATABASE_URL the service would start the embedded PostgreSQL shipped in node_modules with
# its data under DATA_DIR (/data): that works as the `node` user too (PostgreSQL refuses to run
# as root, and here nothing runs as root), but the data then lives in the container's volume
# and is only as durable as that volume.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The reference inbox (/inbox): static ES modules served as they are, no build step.
COPY public ./public
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
