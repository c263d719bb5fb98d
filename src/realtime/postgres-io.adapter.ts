import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import { Pool } from 'pg';
import type { Server, ServerOptions } from 'socket.io';
import { originAllowed } from '../config/cors-origins';
import { surviveConnectionLoss } from '../database/pool-errors';

/** socket.io with the Postgres adapter, so an event raised on one instance reaches all. */
export class PostgresIoAdapter extends IoAdapter {
  private readonly pool: Pool;
  private readonly log = new Logger('Realtime');

  constructor(
    app: INestApplicationContext,
    databaseUrl: string,
    private readonly corsOrigins: readonly string[] = [],
  ) {
    super(app);
    this.pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: 'meta-inbox-realtime' });
    surviveConnectionLoss(this.pool, (message) => this.log.warn(message));
  }

  createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, { ...options, ...this.originPolicy() } as ServerOptions);
    // Every broadcast goes through NOTIFY, whoever the adapter last heard from: its heartbeats say
    // which instances answered lately, not which are alive, and one that was late (a pause, a busy
    // event loop) would otherwise miss broadcasts.
    server.adapter(createAdapter(this.pool, { tableName: 'socket_io_attachments', errorHandler: () => undefined }));
    return server;
  }

  /**
   * The same origins as the REST API: CORS headers for long-polling, and a handshake check,
   * since browsers apply no CORS to WebSocket upgrades.
   */
  private originPolicy(): Pick<ServerOptions, 'cors' | 'allowRequest'> {
    const allowed = this.corsOrigins;
    return {
      cors: { origin: (origin, callback) => callback(null, originAllowed(origin, allowed)) },
      allowRequest: (request, callback) => callback(null, originAllowed(request.headers.origin, allowed, request.headers.host)),
    };
  }

  async dispose(): Promise<void> {
    await super.dispose();
    await this.pool.end().catch(() => undefined);
  }
}
