import { io, Socket } from 'socket.io-client';

/** A socket.io client like the inbox UI's, recording every event it receives. */
export class RecordingSocket {
  /** `source` is the second argument: the log event `{id, sequence, type}` the event comes from. */
  readonly events: { event: string; payload: any; source: { id: string | null; sequence: number; type: string | null } }[] = [];
  private constructor(readonly socket: Socket) {
    socket.onAny((event, payload, source) => this.events.push({ event, payload, source }));
  }

  /** Connects with `auth: {token}`; rejects with the server's reason when refused. */
  static connect(baseUrl: string, token: string | undefined): Promise<RecordingSocket> {
    const socket = io(baseUrl, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RecordingSocket(socket)));
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
  }

  /** Resolves with the first matching event, already received or still to come. */
  waitFor(event: string, match: (payload: any) => boolean = () => true, timeoutMs = 10000): Promise<any> {
    const seen = this.events.find((e) => e.event === event && match(e.payload));
    if (seen) return Promise.resolve(seen.payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.offAny(listener);
        reject(new Error(`no ${event} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (name: string, payload: any) => {
        if (name === event && match(payload)) {
          clearTimeout(timer);
          this.socket.offAny(listener);
          resolve(payload);
        }
      };
      this.socket.onAny(listener);
    });
  }

  close(): void {
    this.socket.close();
  }
}
