import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import { Pool } from 'pg';
import type { Namespace, Server, ServerOptions } from 'socket.io';
import { ClusterAdapterWithHeartbeat, ClusterMessage, MessageType, Offset } from 'socket.io-adapter';
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
    const create = createAdapter(this.pool, { tableName: 'socket_io_attachments', errorHandler: () => undefined });
    // socket.io calls this with `new`, so a function, not an arrow (its returned object wins).
    server.adapter(function adapterFor(nsp: Namespace) {
      return keepBroadcastsLocalWhenAlone(create(nsp));
    });
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

/**
 * The adapter NOTIFYs every broadcast, and waits for that round trip before emitting to its own
 * sockets, even when no other instance is listening. Instances announce themselves when their
 * server starts (before it takes sockets) and every 5 s after, and the adapter keeps the ones it
 * heard from in the last 10 s in `nodesMap`; while that is empty, a broadcast stays local.
 */
function keepBroadcastsLocalWhenAlone(adapter: ClusterAdapterWithHeartbeat): ClusterAdapterWithHeartbeat {
  const internals = adapter as unknown as { nodesMap: Map<string, number>; doPublish(message: ClusterMessage): Promise<Offset> };
  const publish = internals.doPublish.bind(adapter);
  internals.doPublish = (message) => (message.type === MessageType.BROADCAST && internals.nodesMap.size === 0 ? Promise.resolve('') : publish(message));
  return adapter;
}
