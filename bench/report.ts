import type { IngestReport } from './ingest';
import type { IntegratorWebhooksReport } from './integrator-webhooks';
import type { LimitedPageReport, OutboundReport } from './outbound';
import type { SocketLatencyReport } from './socket-latency';

export interface BenchResults {
  meta: Record<string, unknown>;
  ingest: {
    ours: IngestReport | { closedLoopPerSec: null; p99MsAt1000: null; error?: string };
    baseline: IngestReport | { closedLoopPerSec: null; error?: string };
    bottender: IngestReport | { closedLoopPerSec: null; error?: string };
    [key: string]: unknown;
  };
  socketLatency: (SocketLatencyReport & { error?: undefined }) | { p99Ms: null; p50Ms: null; error?: string };
  integratorWebhooks: IntegratorWebhooksReport | null;
  outbound: (OutboundReport & { error?: undefined }) | { sendsPerSec: null; p99Ms: null; maxPerPagePerSec: null; error?: string };
  outboundLimited: LimitedPageReport | { p99Ms: null };
  targets: TargetRow[];
  errors: Record<string, string>;
}

export interface TargetRow {
  what: string;
  figure: string;
  target: string;
  met: boolean | null;
}

const fmt = (value: number | null | undefined, unit = '') => (value === null || value === undefined || Number.isNaN(value) ? 'n/a' : `${value}${unit}`);
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Math.round((a / b) * 100) / 100 : null);

export function targetRows(results: BenchResults): TargetRow[] {
  const ours = results.ingest.ours as Partial<IngestReport>;
  const floor = results.ingest.baseline.closedLoopPerSec;
  const bottender = results.ingest.bottender.closedLoopPerSec;
  const oursPerSec = ours.closedLoopPerSec ?? null;
  const vsFloor = ratio(oursPerSec, floor);
  const vsBottender = ratio(oursPerSec, bottender);
  const check = (value: number | null | undefined, ok: (v: number) => boolean) => (value === null || value === undefined ? null : ok(value));
  const socket = results.socketLatency;
  const out = results.outbound;
  const limited = results.outboundLimited as Partial<LimitedPageReport>;
  const drain = ours.drain;
  const hooks = results.integratorWebhooks;
  return [
    { what: 'ingest closed loop vs floor', figure: `${fmt(oursPerSec, '/s')} vs ${fmt(floor, '/s')} = ${fmt(vsFloor, '×')}`, target: '≥ 0.6×', met: check(vsFloor, (v) => v >= 0.6) },
    { what: 'ingest closed loop vs bottender', figure: `${fmt(oursPerSec, '/s')} vs ${fmt(bottender, '/s')} = ${fmt(vsBottender, '×')}`, target: '≥ 1.5×', met: check(vsBottender, (v) => v >= 1.5) },
    { what: 'ingest p99 at 1000 events/s', figure: fmt(ours.p99MsAt1000, ' ms'), target: '≤ 50 ms', met: check(ours.p99MsAt1000, (v) => v <= 50) },
    {
      what: 'ingest lost / duplicated',
      figure: `${fmt(ours.lost)} / ${fmt(ours.duplicated)} of ${fmt(ours.acknowledged)}`,
      target: '0 / 0',
      met: ours.lost === undefined || ours.lost === null ? null : ours.lost === 0 && ours.duplicated === 0,
    },
    {
      // Over the closed loop and its drain: when applying keeps up with the webhook the backlog
      // left at the end is small, and its own rate measures little but the polling for it.
      what: 'events fully processed per second (closed loop until drained)',
      figure: drain ? `${fmt(drain.processedPerSec, '/s')} (then a backlog of ${drain.backlogAtEnd} at ${fmt(drain.drainPerSec, '/s')})` : 'n/a',
      target: '≥ 2000/s',
      met: check(drain?.processedPerSec, (v) => v >= 2000),
    },
    { what: 'webhook → socket p99 (500/s, 200 sockets)', figure: fmt(socket.p99Ms, ' ms'), target: '≤ 100 ms', met: check(socket.p99Ms, (v) => v <= 100) },
    { what: 'events delivered to a local endpoint/s (burst)', figure: fmt(hooks?.burst.deliveredPerSec, '/s'), target: 'measured', met: null },
    { what: 'webhook → integrator p99 (500/s)', figure: fmt(hooks?.steady.p99Ms, ' ms'), target: '≤ 150 ms', met: check(hooks?.steady.p99Ms, (v) => v <= 150) },
    {
      what: 'integrator lost / duplicates dropped',
      figure: hooks ? `${hooks.lost} / ${hooks.duplicatesDropped}` : 'n/a',
      target: '0 lost, deduped',
      met: hooks ? hooks.lost === 0 && hooks.badSignatures === 0 : null,
    },
    { what: 'outbound sends/s across 4 Pages', figure: fmt(out.sendsPerSec, '/s'), target: '≥ 1000/s', met: check(out.sendsPerSec, (v) => v >= 1000) },
    { what: 'outbound enqueue → Graph p99', figure: fmt(out.p99Ms, ' ms'), target: '≤ 250 ms', met: check(out.p99Ms, (v) => v <= 250) },
    { what: 'outbound max per Page in one second', figure: fmt(out.maxPerPagePerSec, '/s'), target: '≤ 300/s', met: check(out.maxPerPagePerSec, (v) => v <= 300) },
    {
      what: `other Pages' enqueue → Graph p99, one Page answering 613 for ${limited.limitedSeconds ?? 60} s`,
      figure: limited.p99Ms === null || limited.p99Ms === undefined ? 'n/a' : `${limited.p99Ms} ms (${limited.delivered}/${limited.accepted} delivered)`,
      target: '≤ 250 ms',
      met: check(limited.p99Ms, (v) => v <= 250),
    },
  ];
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Markdown tables (they read fine in a terminal and paste into the README as they are). */
export function renderTables(results: BenchResults): string {
  const targets = table(
    ['measure', 'figure', 'target', 'met'],
    results.targets.map((row) => [row.what, row.figure, row.target, row.met === null ? 'n/a' : row.met ? 'yes' : 'NO']),
  );
  const ingestRows: string[][] = [];
  for (const name of ['ours', 'baseline', 'bottender'] as const) {
    const report = results.ingest[name] as Partial<IngestReport>;
    const cell = (rate: number) => {
      const phase = report.rates?.[rate];
      return phase ? `${phase.p50Ms} / ${phase.p99Ms} / ${phase.p999Ms}` : 'n/a';
    };
    const cpu = report.rates?.[1000]?.cpuMsPerEvent;
    ingestRows.push([
      name,
      fmt(report.closedLoopPerSec, '/s'),
      report.closedLoop ? `${report.closedLoop.p50Ms} / ${report.closedLoop.p99Ms}` : 'n/a',
      cell(250),
      cell(500),
      cell(1000),
      report.lost === undefined || report.lost === null ? 'n/a' : `${report.lost} / ${report.duplicated}`,
      cpu ? `${cpu.server ?? 'n/a'} + ${cpu.postgres ?? 'n/a'}` : 'n/a',
    ]);
  }
  const ingest = table(
    ['ingest', 'closed loop', 'closed p50 / p99 ms', '250/s p50 / p99 / p99.9 ms', '500/s', '1000/s', 'lost / dup', 'CPU ms/event at 1000/s: server + PostgreSQL'],
    ingestRows,
  );
  return `${targets}\n\n${ingest}`;
}
