import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import { originAllowed } from '../config/cors-origins';

/**
 * socket.io with the REST API's allowed origins. No socket.io adapter: every socket event comes
 * from the event relay, and `RealtimeBus` takes each relayed batch to the other instances.
 */
export class CorsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly corsOrigins: readonly string[] = [],
  ) {
    super(app);
  }

  createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, { ...options, ...this.originPolicy() } as ServerOptions);
  }

  /**
   * CORS headers for long-polling, and a handshake check, since browsers apply no CORS to
   * WebSocket upgrades.
   */
  private originPolicy(): Pick<ServerOptions, 'cors' | 'allowRequest'> {
    const allowed = this.corsOrigins;
    return {
      cors: { origin: (origin, callback) => callback(null, originAllowed(origin, allowed)) },
      allowRequest: (request, callback) => callback(null, originAllowed(request.headers.origin, allowed, request.headers.host)),
    };
  }
}
