import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { Metrics } from '../metrics/metrics.service';
import { ScopedTokenService } from '../auth/scoped-token.service';
import { ApiKeyService, AuthenticatedApiKey } from '../organizations/api-key.service';
import { organizationRoom, RealtimeEventName, RealtimeEvents, RealtimeEventSource } from './realtime.events';
import { emitInFrames } from './batch-frames';
import { coalesceFrames, InOneWrite } from './coalesced-frames';

/** One socket event for one organization's sockets on this instance. */
export interface LocalEmission<E extends RealtimeEventName = RealtimeEventName> {
  organizationId: string;
  event: E;
  payload: RealtimeEvents[E];
  source: RealtimeEventSource;
}

/** How often each instance looks for sockets opened with a key that was revoked since. */
const REVOCATION_CHECK_MS = 2000;

/**
 * socket.io on the service's own port. A socket authenticates with `auth: {token: <api key>}`
 * (or a scoped token) in its handshake and joins its organization's room; nothing else is
 * accepted from clients. Allowed origins are the adapter's (CORS_ORIGINS).
 * Events reach it only from the outbox (`DomainEvents.record`, relayed by `EventRelayService` through
 * `RealtimeBus`).
 */
@WebSocketGateway()
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RealtimeGateway.name);

  @WebSocketServer()
  server: Server;

  private revocationTimer?: NodeJS.Timeout;
  /** Until the server is up, emitting a batch is just emitting it. */
  private inOneWrite: InOneWrite = (emit) => emit();

  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly metrics: Metrics,
    private readonly scopedTokens: ScopedTokenService,
  ) {}

  /** Only sockets that passed the handshake get here. */
  handleConnection(): void {
    this.metrics.socketConnections.inc();
  }

  handleDisconnect(): void {
    this.metrics.socketConnections.dec();
  }

  afterInit(server: Server): void {
    this.inOneWrite = coalesceFrames(server);
    server.use((socket: Socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'));
      const authenticated = this.scopedTokens.isScopedToken(token) ? this.admitScoped(socket, token) : this.apiKeys.authenticate(token);
      authenticated
        .then((key) => {
          if (!key) return next(new Error('unauthorized'));
          socket.data.organizationId = key.organizationId;
          socket.data.apiKeyId = key.keyId;
          void socket.join(organizationRoom(key.organizationId));
          next();
        })
        .catch((error: Error) => {
          this.logger.warn(`handshake failed: ${error.message}`);
          next(new Error('unavailable'));
        });
    });
  }

  /**
   * A scoped token admits its socket while the key that minted it exists (the revoked-key sweep
   * covers it like a socket opened with that key) and until the token expires, when the socket
   * is disconnected.
   */
  private async admitScoped(socket: Socket, token: string): Promise<AuthenticatedApiKey | undefined> {
    const claims = this.scopedTokens.verify(token);
    if (!claims || !(await this.apiKeys.existing([claims.apiKeyId])).has(claims.apiKeyId)) return undefined;
    const timer = setTimeout(() => socket.disconnect(true), claims.expiresAt.getTime() - Date.now());
    timer.unref();
    socket.once('disconnect', () => clearTimeout(timer));
    return { keyId: claims.apiKeyId, organizationId: claims.organizationId };
  }

  /**
   * Disconnects this instance's sockets whose API key was revoked. Each instance checks its own
   * sockets, so a revocation reaches every instance without a message that could be lost.
   */
  async disconnectRevoked(): Promise<number> {
    const sockets = [...this.server.of('/').sockets.values()].filter((socket) => typeof socket.data.apiKeyId === 'string');
    if (sockets.length === 0) return 0;
    const existing = await this.apiKeys.existing([...new Set(sockets.map((socket) => socket.data.apiKeyId as string))]);
    const revoked = sockets.filter((socket) => !existing.has(socket.data.apiKeyId));
    for (const socket of revoked) socket.disconnect(true);
    return revoked.length;
  }

  onModuleInit(): void {
    this.revocationTimer = setInterval(
      () => void this.disconnectRevoked().catch((error: Error) => this.logger.warn(`revoked-key check failed: ${error.message}`)),
      REVOCATION_CHECK_MS,
    );
    this.revocationTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.revocationTimer);
  }

  /**
   * Closes every socket's connection here without a word (not a refusal, which an inbox takes
   * as its session ending): each client reconnects by itself and resumes from the event log.
   * Answers how many were closed.
   */
  dropConnections(): number {
    const sockets = [...this.server.of('/').sockets.values()];
    for (const socket of sockets) socket.conn.close();
    return sockets.length;
  }

  /**
   * A batch of socket events to this instance's sockets of each organization, in order. Only
   * `RealtimeBus` calls this (for the event relay, which every socket event comes from); it
   * reaches the other instances itself. A socket on WebSocket writes the batch's frames, made once
   * for all of them, at once (`emitInFrames`); one still on long-polling gets each event, and
   * writes them together too (`coalesceFrames`). An event that fails for one socket is logged,
   * and the others go on.
   */
  emitBatch(emissions: readonly LocalEmission[]): void {
    const inRooms = emissions.map(({ organizationId, event, payload, source }) => ({ room: organizationRoom(organizationId), event, args: [payload, source] }));
    this.inOneWrite(() =>
      emitInFrames(this.server, inRooms, (socket, { event, args }) => {
        try {
          socket.emit(event, ...args);
        } catch (error) {
          this.logger.warn(`socket emit failed: ${(error as Error).message}`);
        }
      }),
    );
  }
}
