import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { io, Socket } from 'socket.io-client';
import { messengerTextEvent, psid, signatureHeaders } from './events';
import { percentiles } from './load';
import { sleep, waitFor } from './processes';

export interface SocketLatencyReport {
  sockets: number;
  rate: number;
  durationS: number;
  /** Seconds of the same load before the timed part. */
  warmupS: number;
  posted: number;
  acknowledged: number;
  /** Events the designated socket received as `message.created`. */
  received: number;
  p50Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  /** Sockets (of all, the designated one included) that received every acknowledged event. */
  socketsWithAll: number | null;
  minReceivedBySocket: number | null;
}

interface FarmMessage {
  type: 'ready' | 'counts' | 'error';
  connected?: number;
  counts?: number[];
  error?: string;
}

/** Starts the other sockets in a child process; each counts the events with mid `${midPrefix}${0 … total-1}` it received. */
function startFarm(baseUrl: string, apiKey: string, count: number, midPrefix: string, total: number) {
  const child = fork(join(__dirname, 'servers', 'socket-farm.js'), [], {
    env: { ...process.env, BASE_URL: baseUrl, API_KEY: apiKey, SOCKETS: String(count), MID_PREFIX: midPrefix, TOTAL: String(total) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = (type: FarmMessage['type']) =>
    new Promise<FarmMessage>((resolve, reject) => {
      const onMessage = (message: FarmMessage) => {
        if (message.type === 'error') reject(new Error(message.error));
        else if (message.type === type) {
          child.off('message', onMessage);
          resolve(message);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`socket farm exited (${code})`)));
    });
  return {
    ready: next('ready'),
    counts: async () => {
      const answer = next('counts');
      child.send({ type: 'counts' });
      return (await answer).counts!;
    },
    stop: () => {
      child.send({ type: 'stop' });
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    },
  };
}

export interface SocketLatencyOptions {
  baseUrl: string;
  apiKey: string;
  pageId: string;
  appSecret: string;
  sockets: number;
  rate: number;
  durationS: number;
  /** Seconds of the same load before the timed part. */
  warmupS: number;
  log: (line: string) => void;
}

/** `runSocketLatency` in a fresh process of its own (`socket-latency-process.ts`). */
export function runSocketLatencyApart(options: SocketLatencyOptions): Promise<SocketLatencyReport> {
  const { log, ...rest } = options;
  const child = fork(join(__dirname, 'socket-latency-process.ts'), [], { execArgv: ['-r', 'ts-node/register'], env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' } });
  return new Promise((resolve, reject) => {
    child.on('message', (message: { type: 'log' | 'report' | 'error'; line?: string; report?: SocketLatencyReport; error?: string }) => {
      if (message.type === 'log') log(message.line!);
      else if (message.type === 'report') resolve(message.report!);
      else reject(new Error(message.error));
    });
    child.once('exit', (code) => reject(new Error(`the socket latency process exited (${code})`)));
    child.send(rest);
  });
}

/**
 * Webhook POST → socket.io `message.created` latency: `sockets` clients of one organization
 * connected (one designated socket here, the others in a child process), deliveries posted
 * at a steady `rate`, and each one timed from just before its POST to the designated
 * socket's receipt of the message with that mid.
 */
export async function runSocketLatency(options: SocketLatencyOptions): Promise<SocketLatencyReport> {
  const { baseUrl, rate } = options;
  const prefix = `sock${Date.now().toString(36)}`;
  const total = rate * options.durationS;
  const farm = startFarm(baseUrl, options.apiKey, options.sockets - 1, `m_${prefix}_`, total);
  const designated: Socket = io(baseUrl, { auth: { token: options.apiKey }, transports: ['websocket'], reconnection: false });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const seen = new Set<string>();
  designated.on('message.created', (message: { externalId?: string }) => {
    const at = performance.now();
    const mid = message?.externalId;
    if (!mid || !mid.startsWith(`m_${prefix}`) || seen.has(mid)) return;
    seen.add(mid);
    const start = sentAt.get(mid);
    if (start !== undefined) latencies.push(at - start);
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    await new Promise<void>((resolve, reject) => {
      designated.once('connect', () => resolve());
      designated.once('connect_error', (error) => reject(new Error(`socket refused: ${error.message}`)));
    });
    const ready = await farm.ready;
    options.log(`  ${1 + (ready.connected ?? 0)} sockets connected`);

    // Pre-build every body so the send loop only writes. The warm-up's mids (`w_…`) are never timed or counted.
    const build = (kind: 'w' | 'm', count: number) =>
      Array.from({ length: count }, (_, i) => {
        const mid = `${kind}_${prefix}_${i}`;
        const body = Buffer.from(JSON.stringify(messengerTextEvent(options.pageId, psid(0, i % 50), mid, `socket latency ${i}`)));
        return { mid, body, headers: { ...signatureHeaders(body, options.appSecret), 'content-length': String(body.length) } };
      });
    const acknowledged = new Set<string>();
    let answered = 0;
    const post = (delivery: ReturnType<typeof build>[number]) => {
      const timed = delivery.mid.startsWith('m_');
      sentAt.set(delivery.mid, performance.now());
      const req = request(`${options.baseUrl}/api/meta/webhook`, { method: 'POST', agent, headers: delivery.headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (!timed) return;
          answered += 1;
          if (res.statusCode === 200) acknowledged.add(delivery.mid);
        });
      });
      req.on('error', () => (answered += timed ? 1 : 0));
      req.end(delivery.body);
    };
    // Evenly spaced sends; when the timer is late, catch up so the average rate holds.
    const postAtRate = async (deliveries: ReturnType<typeof build>) => {
      const start = performance.now();
      let sent = 0;
      while (sent < deliveries.length) {
        const due = Math.floor(((performance.now() - start) * rate) / 1000) + 1;
        while (sent < Math.min(due, deliveries.length)) post(deliveries[sent++]);
        await sleep(Math.max(1, 1000 / rate));
      }
    };
    // The same load first, untimed: the sockets' first events and the service's warm-up are not the steady state.
    const warmup = build('w', rate * options.warmupS);
    const measured = build('m', total);
    await postAtRate(warmup);
    await postAtRate(measured);
    await waitFor(async () => (answered >= total ? true : undefined), 30000, 'every webhook POST to be answered').catch(() => undefined);
    await waitFor(async () => (seen.size >= acknowledged.size ? true : undefined), 30000, 'the designated socket to receive every event').catch(() => undefined);
    let counts: number[] = [];
    await waitFor(
      async () => {
        counts = await farm.counts();
        return counts.every((n) => n >= acknowledged.size) ? true : undefined;
      },
      15000,
      'every other socket to receive every event',
      500,
    ).catch(() => undefined);
    const all = [seen.size, ...counts];
    const stats = percentiles(latencies);
    return {
      sockets: all.length,
      rate,
      durationS: options.durationS,
      warmupS: options.warmupS,
      posted: total,
      acknowledged: acknowledged.size,
      received: seen.size,
      p50Ms: latencies.length ? stats.p50 : null,
      p99Ms: latencies.length ? stats.p99 : null,
      p999Ms: latencies.length ? stats.p999 : null,
      maxMs: latencies.length ? stats.max : null,
      socketsWithAll: all.filter((n) => n >= acknowledged.size).length,
      minReceivedBySocket: Math.min(...all),
    };
  } finally {
    designated.close();
    farm.stop();
    agent.destroy();
  }
}
