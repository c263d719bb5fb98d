import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { DomainErrorFilter } from './common/domain-error.filter';
import { validationPipe } from './common/validation';
import { PostgresIoAdapter } from './realtime/postgres-io.adapter';

/** Builds the whole service — used by `main.ts` and by every e2e test alike. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    trustProxy: true,
    bodyLimit: 8 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    rawBody: true,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  // A base64 upload is a third larger than its file; only that route takes such a body.
  adapter.getInstance().addHook('onRoute', (route) => {
    if (route.url === '/api/attachments' && route.method === 'POST') route.bodyLimit = Math.max(8 * 1024 * 1024, Math.ceil((config.maxAttachmentBytes * 4) / 3) + 64 * 1024);
  });
  app.useWebSocketAdapter(new PostgresIoAdapter(app, config.databaseUrl!));
  await app.register(multipart, { limits: { fileSize: config.maxAttachmentBytes, files: 1 } });
  app.useGlobalFilters(new DomainErrorFilter());
  app.useGlobalPipes(validationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('meta-inbox')
      .setDescription('Facebook Messenger and Instagram DM as channels of one unified inbox')
      .addBearerAuth({ type: 'http', description: 'Organization API key' }, 'apiKey')
      .addBearerAuth({ type: 'http', description: 'Admin token' }, 'adminToken')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
