import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeS3Request {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
}

/**
 * A tiny path-style S3 stand-in on loopback: PUT, GET and DELETE of objects, NoSuchKey as S3
 * words it. It checks that requests are SigV4-signed with the expected key id, not the signature.
 */
export class FakeS3Server {
  readonly objects = new Map<string, { body: Buffer; contentType: string }>();
  readonly requests: FakeS3Request[] = [];
  url: string;

  private constructor(
    private readonly server: Server,
    private readonly accessKeyId: string,
  ) {}

  static async start(accessKeyId = 'AKIDTEST'): Promise<FakeS3Server> {
    const fake = new FakeS3Server(
      createServer((req, res) => {
        void fake.handle(req).then(({ status, headers, body }) => res.writeHead(status, headers).end(body));
      }),
      accessKeyId,
    );
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string | number>; body?: Buffer | string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    this.requests.push({ method: req.method!, path, authorization: req.headers.authorization, contentType: req.headers['content-type'] });
    if (!req.headers.authorization?.startsWith(`AWS4-HMAC-SHA256 Credential=${this.accessKeyId}/`)) {
      return this.error(403, 'AccessDenied');
    }
    switch (req.method) {
      case 'PUT':
        this.objects.set(path, { body: Buffer.concat(chunks), contentType: req.headers['content-type'] ?? 'binary/octet-stream' });
        return { status: 200, headers: { etag: '"fake"' } };
      case 'GET': {
        const object = this.objects.get(path);
        if (!object) return this.error(404, 'NoSuchKey');
        return { status: 200, headers: { 'content-type': object.contentType, 'content-length': object.body.length }, body: object.body };
      }
      case 'DELETE':
        this.objects.delete(path);
        return { status: 204, headers: {} };
      default:
        return this.error(405, 'MethodNotAllowed');
    }
  }

  private error(status: number, code: string) {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;
    return { status, headers: { 'content-type': 'application/xml' }, body };
  }
}
