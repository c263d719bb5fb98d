/**
 * A reply bot is the webhook handler plus the send call.
 *
 * It registers an endpoint of its own with the service (`POST /api/webhooks`), verifies every
 * delivery's Standard Webhooks signature with the secret it was given, drops redeliveries by
 * `webhook-id`, and answers each `message.received` through `POST /api/messaging/send` into the
 * same conversation; `message.sent` and `message.delivered` show its answers going out.
 *
 *   META_INBOX_API_KEY=<organization api key> npm run example:reply-bot
 *
 * Settings: META_INBOX_URL (http://localhost:3000), BOT_PORT (3001), BOT_HOST (127.0.0.1),
 * BOT_PUBLIC_URL (http://BOT_HOST:BOT_PORT: where the service reaches the bot). A bot on
 * loopback needs the service started with WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true.
 */
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const api = (process.env.META_INBOX_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const apiKey = process.env.META_INBOX_API_KEY;
const port = Number(process.env.BOT_PORT ?? 3001);
const host = process.env.BOT_HOST ?? '127.0.0.1';
const publicUrl = process.env.BOT_PUBLIC_URL ?? `http://${host}:${port}`;
if (!apiKey) {
  console.error('Set META_INBOX_API_KEY to an organization API key.');
  process.exit(1);
}

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

interface Envelope {
  id: string;
  sequence: number;
  type: string;
  data: { object: { id: string; conversationId: string; channel: string; direction: string; text: string | null; status: string } };
}

async function handle(event: Envelope): Promise<void> {
  const message = event.data.object;
  switch (event.type) {
    case 'message.received': {
      if (message.direction !== 'inbound') return;
      console.log(`#${event.sequence} received "${message.text ?? '(attachment)'}" in ${message.conversationId}`);
      const reply = message.text ? `You said: ${message.text}` : 'Thanks for the file!';
      const answer = await call('POST', '/api/messaging/send', { channel: message.channel, conversationId: message.conversationId, text: reply });
      console.log(`   replied "${reply}" (${answer.messages[0].id}, ${answer.messages[0].status})`);
      return;
    }
    case 'message.sent':
    case 'message.delivered':
      console.log(`#${event.sequence} ${event.type}: ${message.id} "${message.text ?? ''}" is ${message.status}`);
      return;
  }
}

async function main(): Promise<void> {
  const endpoint = await call('POST', '/api/webhooks', {
    url: `${publicUrl}/webhook`,
    events: ['message.received', 'message.sent', 'message.delivered'],
    description: 'reply bot example',
  });
  const verifier = new Webhook(endpoint.secret);
  const seen = new Set<string>();
  console.log(`registered endpoint ${endpoint.id} for ${publicUrl}/webhook`);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let event: Envelope;
      try {
        event = verifier.verify(raw, req.headers as Record<string, string>) as Envelope;
      } catch {
        res.writeHead(401).end();
        return;
      }
      // Answer at once (the service waits at most 10 s), then act; a redelivery is acknowledged and dropped.
      res.writeHead(204).end();
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) return;
      seen.add(id);
      handle(event).catch((error) => console.error(`handling ${event.type} failed: ${(error as Error).message}`));
    });
  });
  server.listen(port, host, () => console.log(`reply bot listening on ${host}:${port}; write to the Page (or POST the sandbox's /_sandbox/inbound)`));

  const stop = async () => {
    server.close();
    await call('DELETE', `/api/webhooks/${endpoint.id}`).catch(() => undefined);
    console.log(`removed endpoint ${endpoint.id}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
