import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { originAllowed } from './config/cors-origins';
import { DomainErrorFilter } from './common/domain-error.filter';
import { validationPipe } from './common/validation';
import { findInputProblem, INPUT_PROBLEM_MESSAGES } from './common/input-hygiene';
import { META_WEBHOOK_PATH } from './mods/meta/api/meta-webhook.controller';
import { setupApiDocs } from './docs/api-docs';
import { PinoLoggerService } from './logging/pino-logger.service';
import { registerRequestLogging } from './logging/request-logging';
import { createRootLogger } from './logging/root-logger';
import { CorsIoAdapter } from './realtime/cors-io.adapter';

/**
 * A body, query or path holding a NUL character (which Postgres cannot store) or nested past
 * MAX_JSON_DEPTH (which would overflow validation) is refused with 400 before any handler runs.
 * Meta's webhook is judged only after its signature, by its own service, which keeps such
 * deliveries sanitised rather than refusing them.
 */
function refuseUnstorableInput(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preValidation', async (request, reply) => {
      if (request.routeOptions.url === META_WEBHOOK_PATH) return;
      const problem = findInputProblem([request.body, request.query, request.params]);
      if (!problem) return;
      await reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: INPUT_PROBLEM_MESSAGES[problem] });
      return reply;
    });
}

/** The nearest `hops` proxies are trusted (what Fastify does with a number, in the type its adapter takes). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/**
 * Builds the whole service — used by `main.ts` and by every e2e test alike. `logger` is the
 * process's root logger when the caller already has one, so every line shares one stream.
 */
export async function createApp(config: AppConfig, logger: Pino = createRootLogger({ level: config.logLevel, format: config.logFormat })): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // X-Forwarded-* from anyone else would let a client choose its own address and protocol.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: 8 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    rawBody: true,
    bufferLogs: true,
  });
  app.useLogger(new PinoLoggerService(logger));
  registerRequestLogging(app.getHttpAdapter().getInstance(), logger);
  // A base64 upload is a third larger than its file; only that route takes such a body.
  adapter.getInstance().addHook('onRoute', (route) => {
    if (route.url === '/api/attachments' && route.method === 'POST') route.bodyLimit = Math.max(8 * 1024 * 1024, Math.ceil((config.maxAttachmentBytes * 4) / 3) + 64 * 1024);
  });
  refuseUnstorableInput(app);
  app.useWebSocketAdapter(new CorsIoAdapter(app, config.corsOrigins));
  app.enableCors({ origin: (origin, callback) => callback(null, originAllowed(origin, config.corsOrigins)) });
  await app.register(multipart, { limits: { fileSize: config.maxAttachmentBytes, files: 1 } });
  app.useGlobalFilters(new DomainErrorFilter());
  app.useGlobalPipes(validationPipe());
  setupApiDocs(app);
  return app;
}
