import { createServer, Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import { messengerTextEvent, psid, signatureHeaders } from './events';
import { percentiles } from './load';
import { sleep } from './processes';

export interface IntegratorWebhooksReport {
  /** Burst: deliveries posted as fast as the service acknowledges them. */
  burst: { posted: number; acknowledged: number; received: number; deliveredPerSec: number | null };
  /** Steady: `rate` deliveries/s, each timed from its webhook POST to the integrator's receipt. */
  steady: { rate: number; durationS: number; acknowledged: number; received: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null };
  /** Acknowledged events the endpoint never got (receipts had stopped for 20 s). */
  lost: number;
  /** Receipts the endpoint dropped as redeliveries (same `webhook-id`). */
  duplicatesDropped: number;
  badSignatures: number;
}

/**
 * Meta webhook → integrator endpoint: a local endpoint that verifies every signature with the
 * `standardwebhooks` package and dedupes by `webhook-id`, as an integrator would, registered for
 * `message.received`; then a burst (events delivered per second) and a steady 500/s (latency).
 */
export async function runIntegratorWebhooks(options: {
  baseUrl: string;
  apiKey: string;
  pageId: string;
  appSecret: string;
  rate: number;
  durationS: number;
  burst: number;
  log: (line: string) => void;
}): Promise<IntegratorWebhooksReport> {
  const receivedAt = new Map<string, number>();
  const seenIds = new Set<string>();
  let duplicatesDropped = 0;
  let badSignatures = 0;
  let verifier: Webhook | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const raw = Buffer.concat(chunks).toString('utf8');
      let event: { data: { object: { externalId?: string } } };
      try {
        event = verifier!.verify(raw, req.headers as Record<string, string>) as typeof event;
      } catch {
        badSignatures += 1;
        res.writeHead(401).end();
        return;
      }
      res.writeHead(204).end();
      const id = String(req.headers['webhook-id']);
      if (seenIds.has(id)) {
        duplicatesDropped += 1;
        return;
      }
      seenIds.add(id);
      const mid = event.data.object.externalId;
      if (mid) receivedAt.set(mid, at);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const registered = await fetch(`${options.baseUrl}/api/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: endpointUrl, events: ['message.received'], description: 'bench' }),
  });
  if (registered.status !== 201) throw new Error(`registering the endpoint answered ${registered.status}: ${await registered.text()}`);
  const endpoint = (await registered.json()) as { id: string; secret: string };
  verifier = new Webhook(endpoint.secret);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const prefix = `hook${Date.now().toString(36)}`;
  const build = (phase: string, i: number) => {
    const mid = `m_${prefix}_${phase}_${i}`;
    const body = Buffer.from(JSON.stringify(messengerTextEvent(options.pageId, psid(0, i % 50), mid, `integrator ${phase} ${i}`)));
    return { mid, body, headers: { ...signatureHeaders(body, options.appSecret), 'content-length': String(body.length) } };
  };
  const post = (delivery: ReturnType<typeof build>, sentAt: Map<string, number>, acknowledged: Set<string>) =>
    new Promise<void>((resolve) => {
      sentAt.set(delivery.mid, performance.now());
      const req = request(`${options.baseUrl}/api/meta/webhook`, { method: 'POST', agent, headers: delivery.headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) acknowledged.add(delivery.mid);
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end(delivery.body);
    });
  /** Waits for every acknowledged event, while receipts keep coming (a backlog is not a loss). */
  const settle = async (acknowledged: Set<string>) => {
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      const count = [...acknowledged].filter((mid) => receivedAt.has(mid)).length;
      if (count === acknowledged.size) return;
      if (count !== last) [last, lastChange] = [count, performance.now()];
      else if (performance.now() - lastChange > 20000) return;
      await sleep(250);
    }
  };

  try {
    // Burst: 32 posts in flight until `burst` are acknowledged.
    const burst = Array.from({ length: options.burst }, (_, i) => build('burst', i));
    const burstAck = new Set<string>();
    const burstSent = new Map<string, number>();
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < burst.length) await post(burst[next++], burstSent, burstAck);
    }));
    await settle(burstAck);
    const burstTimes = [...burstAck].map((mid) => receivedAt.get(mid)).filter((t): t is number => t !== undefined);
    const firstPost = Math.min(...burstSent.values());
    const burstReceived = burstTimes.length;
    const deliveredPerSec = burstReceived ? Math.round(burstReceived / ((Math.max(...burstTimes) - firstPost) / 1000)) : null;
    options.log(`  burst: ${burstReceived}/${burstAck.size} delivered, ${deliveredPerSec}/s from first POST to last receipt`);

    // Steady rate, evenly spaced, catching up when the timer is late.
    const total = options.rate * options.durationS;
    const steady = Array.from({ length: total }, (_, i) => build('steady', i));
    const steadyAck = new Set<string>();
    const steadySent = new Map<string, number>();
    const start = performance.now();
    let sent = 0;
    const inFlight: Promise<void>[] = [];
    while (sent < total) {
      const due = Math.floor(((performance.now() - start) * options.rate) / 1000) + 1;
      while (sent < Math.min(due, total)) inFlight.push(post(steady[sent++], steadySent, steadyAck));
      await sleep(Math.max(1, 1000 / options.rate));
    }
    await Promise.all(inFlight);
    await settle(steadyAck);
    const latencies = [...steadyAck].filter((mid) => receivedAt.has(mid)).map((mid) => receivedAt.get(mid)! - steadySent.get(mid)!);
    const stats = percentiles(latencies);
    const steadyReceived = latencies.length;
    const lost = burstAck.size - burstReceived + (steadyAck.size - steadyReceived);
    return {
      burst: { posted: burst.length, acknowledged: burstAck.size, received: burstReceived, deliveredPerSec },
      steady: {
        rate: options.rate,
        durationS: options.durationS,
        acknowledged: steadyAck.size,
        received: steadyReceived,
        p50Ms: latencies.length ? stats.p50 : null,
        p99Ms: latencies.length ? stats.p99 : null,
        maxMs: latencies.length ? stats.max : null,
      },
      lost,
      duplicatesDropped,
      badSignatures,
    };
  } finally {
    await fetch(`${options.baseUrl}/api/webhooks/${endpoint.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${options.apiKey}` } }).catch(() => undefined);
    agent.destroy();
    server.closeAllConnections();
    server.close();
  }
}
