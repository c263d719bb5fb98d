import { Client } from 'pg';

const RECONNECT_MS = 1000;

export interface PgListenerOptions {
  databaseUrl: string;
  channel: string;
  applicationName: string;
  onNotification: (payload: string | undefined) => void;
  /** The connection went: notifications sent until it is back are not heard (callers sweep, or accept the gap). */
  onLost?: () => void;
  /** Listening again after a loss (not at the first start): whatever was sent meanwhile went unheard. */
  onRestored?: () => void;
  warn: (message: string) => void;
}

/** A connection of its own that LISTENs on one channel; lost, or not there yet, it is opened again a second later. */
export class PgListener {
  private client?: Client;
  private stopped = false;
  /** Set once a connection listened and then went, until one listens again. */
  private lost = false;

  constructor(private readonly options: PgListenerOptions) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    const { databaseUrl, channel, applicationName, onNotification, onLost, onRestored, warn } = this.options;
    const client = new Client({ connectionString: databaseUrl, application_name: applicationName });
    client.on('notification', (message) => onNotification(message.payload));
    client.on('error', (error) => {
      warn(`${applicationName} connection lost: ${error.message}`);
      void client.end().catch(() => undefined);
      if (this.client === client) {
        this.client = undefined;
        this.lost = true;
      }
      onLost?.();
      this.retry();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      this.client = client;
      if (this.lost) {
        this.lost = false;
        onRestored?.();
      }
    } catch (error) {
      warn(`${applicationName} cannot LISTEN yet: ${(error as Error).message}`);
      await client.end().catch(() => undefined);
      this.retry();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }

  private retry(): void {
    if (!this.stopped) setTimeout(() => void this.start().catch(() => undefined), RECONNECT_MS).unref();
  }
}
