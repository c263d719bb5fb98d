import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import { Pool } from 'pg';
import type { Server, ServerOptions } from 'socket.io';
import { surviveConnectionLoss } from '../database/pool-errors';

/** socket.io with the Postgres adapter, so an event raised on one instance reaches all. */
export class PostgresIoAdapter extends IoAdapter {
  private readonly pool: Pool;
  private readonly log = new Logger('Realtime');

  constructor(app: INestApplicationContext, databaseUrl: string) {
    super(app);
    this.pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: 'meta-inbox-realtime' });
    surviveConnectionLoss(this.pool, (message) => this.log.warn(message));
  }

  createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, options);
    server.adapter(createAdapter(this.pool, { tableName: 'socket_io_attachments', errorHandler: () => undefined }));
    return server;
  }

  async dispose(): Promise<void> {
    await super.dispose();
    await this.pool.end().catch(() => undefined);
  }
}
