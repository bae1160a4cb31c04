# The engine's image: one image, three roles (processor, worker, api) and the migration Job, chosen by the
# command. Multi-stage: the build stage installs everything and prebuilds the workflow bundle; the runtime
# stage keeps production dependencies only and runs as the unprivileged `node` user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build:workflows && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json tsconfig.json temporal.config.ts main.ts ./
COPY --chown=node:node actors ./actors
COPY --chown=node:node api ./api
COPY --chown=node:node catalog ./catalog
COPY --chown=node:node migrations ./migrations
COPY --chown=node:node platform ./platform
COPY --chown=node:node rules ./rules
COPY --chown=node:node workflows ./workflows
USER node
EXPOSE 8080 9464
ENTRYPOINT ["node", "--import", "tsx", "main.ts"]
CMD ["api"]
