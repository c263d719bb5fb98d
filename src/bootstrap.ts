import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { DomainError, DomainErrorCode } from './common/domain-error';
import { DomainErrorFilter } from './common/domain-error.filter';
import { PostgresIoAdapter } from './realtime/postgres-io.adapter';

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {});
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

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
  app.useWebSocketAdapter(new PostgresIoAdapter(app, config.databaseUrl!));
  await app.register(multipart, { limits: { fileSize: config.maxAttachmentBytes, files: 1 } });
  app.useGlobalFilters(new DomainErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new DomainError(DomainErrorCode.ValidationFailed, flatten(errors).join('; ')),
    }),
  );
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
