/**
 * The stack's floor: the least a durable webhook endpoint on this stack can do — Fastify,
 * an HMAC-SHA256 check over the raw body, one committed INSERT, then 200. No framework,
 * no validation, no jobs. Run as a child process by bench/run.ts:
 *   PORT DATABASE_URL APP_SECRET [POOL_SIZE]
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'pg';

const secret = process.env.APP_SECRET ?? '';
// pg's default pool size, the same default TypeORM uses for the service.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });

app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
  (req as unknown as { rawBody: Buffer }).rawBody = body as Buffer;
  try {
    done(null, JSON.parse((body as Buffer).toString('utf8')));
  } catch (error) {
    done(error as Error, undefined);
  }
});

function signed(raw: Buffer, header: unknown): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice(7), 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

app.post('/webhook', async (req, reply) => {
  const raw = (req as unknown as { rawBody: Buffer }).rawBody;
  if (!signed(raw, req.headers['x-hub-signature-256'])) return reply.code(403).send('bad signature');
  const body = req.body as { entry?: Array<{ messaging?: Array<{ message?: { mid?: string } }> }> };
  const mid = body.entry?.[0]?.messaging?.[0]?.message?.mid ?? null;
  await pool.query('INSERT INTO floor_events (mid, payload) VALUES ($1, $2) ON CONFLICT (mid) DO NOTHING', [mid, raw.toString('utf8')]);
  return reply.code(200).send('EVENT_RECEIVED');
});

async function main(): Promise<void> {
  await pool.query('CREATE TABLE IF NOT EXISTS floor_events (id bigserial PRIMARY KEY, mid text UNIQUE, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())');
  const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  process.stdout.write(`listening ${new URL(address).port}\n`);
}

process.on('SIGTERM', () => void app.close().then(() => pool.end()).finally(() => process.exit(0)));
void main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
