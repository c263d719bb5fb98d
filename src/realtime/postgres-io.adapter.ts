import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import { Pool } from 'pg';
import type { Server, ServerOptions } from 'socket.io';

/** socket.io with the Postgres adapter, so an event raised on one instance reaches all. */
export class PostgresIoAdapter extends IoAdapter {
  private readonly pool: Pool;

  constructor(app: INestApplicationContext, databaseUrl: string) {
    super(app);
    this.pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: 'meta-inbox-realtime' });
    this.pool.on('error', () => undefined);
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
