import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ErrorBody } from '../common/api-errors';
import { realtimeEventsExtension, realtimeEventsMarkdown, REALTIME_SCHEMAS } from './realtime-docs';

/** `/docs` (Swagger UI) and `/docs-json`: the HTTP routes, and the socket.io events beside them. */
export function setupApiDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('meta-inbox')
    .setDescription(
      [
        'Facebook Messenger and Instagram DM as channels of one unified inbox.',
        '',
        'Every error answers `{statusCode, error, message}` (the `ErrorBody` schema). Organization routes take',
        '`Authorization: Bearer <API key>`, admin routes the admin token. Lists answer `{data, nextCursor}`.',
        'Any route answers 503 with `Retry-After` while the database cannot be reached: retry it (a send with the same `Idempotency-Key`).',
        '',
        realtimeEventsMarkdown(),
      ].join('\n'),
    )
    // Opaque tokens, not JWTs: Nest labels bearer schemes `bearerFormat: JWT` unless told otherwise.
    .addBearerAuth({ type: 'http', bearerFormat: undefined, description: 'An organization API key (`mi_live_…`), from POST /api/admin/organizations' }, 'apiKey')
    .addBearerAuth({ type: 'http', bearerFormat: undefined, description: 'The admin token: ADMIN_TOKEN, or the one generated into DATA_DIR/admin-token' }, 'adminToken')
    .addBearerAuth({ type: 'http', bearerFormat: undefined, description: 'METRICS_TOKEN, for GET /metrics only' }, 'metricsToken')
    .addBearerAuth({ type: 'http', bearerFormat: undefined, description: 'A scoped token (`mi_tok_…`) from POST /api/auth/tokens: the inbox routes only' }, 'scopedToken')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorBody, ...REALTIME_SCHEMAS] });
  Object.assign(document, { 'x-realtime-events': realtimeEventsExtension() });
  SwaggerModule.setup('docs', app, document);
}
