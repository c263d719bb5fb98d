import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * An integrator's HTTP server on loopback. Paths decide the answer: `/ok…` 200, `/fail…` 500,
 * `/hang…` never answers (until `close`), `/redirect…` a 302 to `/ok`, `/big…` a 1 MB 200;
 * `failFirst(path, n)` makes a path answer 500 its first n times.
 */
export class FakeIntegrator {
  readonly received: ReceivedWebhook[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly failures = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeIntegrator> {
    let integrator: FakeIntegrator | undefined;
    const server = createServer((req, res) => integrator!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    integrator = new FakeIntegrator(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return integrator;
  }

  failFirst(path: string, times: number): void {
    this.failures.set(path, times);
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  get openHangingRequests(): number {
    return this.hanging.size;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.received.push({ path, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const failuresLeft = this.failures.get(path) ?? 0;
      if (failuresLeft > 0) {
        this.failures.set(path, failuresLeft - 1);
        res.writeHead(500).end('not now');
      } else if (path.startsWith('/hang')) {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
      } else if (path.startsWith('/fail')) res.writeHead(500).end('failing');
      else if (path.startsWith('/redirect')) res.writeHead(302, { location: '/ok-redirected' }).end();
      else if (path.startsWith('/big')) res.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.alloc(1024 * 1024, 'x'));
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  }
}
