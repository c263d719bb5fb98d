import { performance } from 'node:perf_hooks';
import type { DeliveryPool } from './events';

// autocannon ships no types; only the small surface used here is declared.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: (opts: Record<string, unknown>) => AutocannonInstance & Promise<AutocannonResult> = require('autocannon');

interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void): void;
  stop(): void;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}

interface PacedClient {
  rate: number;
  destroyed: boolean;
  _doRequest: (...args: unknown[]) => void;
  on(event: 'response', listener: () => void): void;
}

/** Paced runs start this long after autocannon connects, so every connection is open. */
const START_DELAY_MS = 200;

export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
}

export interface LoadResult {
  mode: 'closed-loop' | 'fixed-rate';
  connections: number;
  targetRate?: number;
  durationS: number;
  responses: number;
  ok: number;
  /** Answers with 200 per second of the run. */
  okPerSec: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Fixed rate: from the moment each request was due (coordinated omission included). */
  latencyMs: Latency;
  /** Time from writing each request to its answer, as autocannon measures it. */
  responseTimeMs: Latency;
  /** Distinct mids answered 200, and how many deliveries were sent in all. */
  ackedMids: Set<string>;
  sentDeliveries: number;
  redeliveriesSent: number;
}

export function percentiles(values: number[]): Latency {
  if (values.length === 0) return { p50: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN, count: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const round = (v: number) => Math.round(v * 100) / 100;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sum / sorted.length),
    count: sorted.length,
  };
}

export interface LoadOptions {
  url: string;
  pool: DeliveryPool;
  durationS: number;
  connections: number;
  /** Events per second across all connections; unset: closed loop (as fast as answers come). */
  rate?: number;
}

/**
 * Runs autocannon against one webhook URL with deliveries from the pool (one per request,
 * each request's delivery remembered in its context so the answer can be tied to its mid).
 *
 * Fixed rate: autocannon's own `overallRate` lets each connection send its share of the
 * second back to back at the start of every second (lib/httpClient.js, `rateInterval`), so
 * "1000/s" is really a burst of 1000 followed by silence. Meta spreads its deliveries, so
 * each connection here is paced instead: one request every `connections / rate` seconds,
 * the connections offset evenly, and latency measured from when each request was due, so a
 * slow answer that delays the next request is counted (no coordinated omission).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { pool, rate } = options;
  const connections = rate ? Math.min(options.connections, rate) : options.connections;
  const ackedMids = new Set<string>();
  const latencies: number[] = [];
  const responseTimes: number[] = [];
  let sentDeliveries = 0;
  let redeliveriesSent = 0;
  let ok = 0;
  let clientSlot = 0;
  const startAt = performance.now() + START_DELAY_MS;

  const setupClient = rate
    ? (raw: unknown) => {
        const client = raw as PacedClient & { dueAt?: number };
        // Read by the constructor right after setupClient: 0 = no per-second burst window.
        client.rate = 0;
        const intervalMs = (1000 * connections) / rate;
        let next = startAt + (clientSlot++ * 1000) / rate;
        const original = client._doRequest;
        client._doRequest = function paced(this: PacedClient, ...args: unknown[]) {
          const due = next;
          next += intervalMs;
          const fire = () => {
            if (client.destroyed) return;
            // Timers may fire up to a millisecond early; a request is never timed before it leaves.
            client.dueAt = Math.min(due, performance.now());
            original.apply(client, args);
          };
          const wait = due - performance.now();
          if (wait > 0) setTimeout(fire, wait);
          else fire();
        };
        client.on('response', () => {
          if (client.dueAt !== undefined) latencies.push(performance.now() - client.dueAt);
        });
      }
    : undefined;

  const instance = autocannon({
    url: options.url,
    method: 'POST',
    connections,
    duration: options.durationS,
    timeout: 10,
    ...(setupClient ? { setupClient } : {}),
    requests: [
      {
        setupRequest: (request: Record<string, unknown>, context: { index?: number }) => {
          const { index, delivery } = pool.next();
          context.index = index;
          request.method = 'POST';
          request.headers = delivery.headers;
          request.body = delivery.body;
          return request;
        },
        onResponse: (status: number, _body: string, context: { index?: number }) => {
          const delivery = pool.items[context.index!];
          sentDeliveries += 1;
          if (delivery.redelivery) redeliveriesSent += 1;
          if (status === 200) {
            ok += 1;
            ackedMids.add(delivery.mid);
          }
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
    responseTimes.push(responseTimeMs);
  });
  const result = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number(count);
  return {
    mode: rate ? 'fixed-rate' : 'closed-loop',
    connections,
    targetRate: rate,
    durationS: result.duration,
    responses: responseTimes.length,
    ok,
    okPerSec: Math.round(ok / (options.durationS - (rate ? START_DELAY_MS / 1000 : 0))),
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: percentiles(rate ? latencies : responseTimes),
    responseTimeMs: percentiles(responseTimes),
    ackedMids,
    sentDeliveries,
    redeliveriesSent,
  };
}
