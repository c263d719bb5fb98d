import { cpuMsPer, processCpuMs } from './cpu';
import { DeliveryPool } from './events';
import { LoadResult, runLoad } from './load';
import { sleep } from './processes';
import type { IngestTarget } from './targets';

/** The least closed-loop rate the deliveries built for it allow for (see where it is used). */
const MIN_CLOSED_LOOP_RATE_HINT = 3000;

export interface IngestSettings {
  appSecret: string;
  pageIds: string[];
  sendersPerPage: number;
  redeliveryShare: number;
  connections: number;
  warmupS: number;
  closedLoopS: number;
  rateS: number;
  rates: number[];
  /** Longest wait for the target's queue to empty after a phase. */
  drainTimeoutMs: number;
  /** CPU time the PostgreSQL server has used so far (ms), or null where it cannot be read. */
  postgresCpuMs?: () => number | null;
}

/** CPU time a phase took per event answered 200, from its first request until the target drained: the server's process and PostgreSQL's. */
export interface CpuPerEvent {
  server: number | null;
  postgres: number | null;
}

export interface PhaseSummary {
  connections: number;
  targetRate: number | null;
  okPerSec: number;
  responses: number;
  ok: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  redeliveriesSent: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  responseTimeP99Ms: number;
  /** ms until the target's queue was empty after the phase (ours only). */
  drainMs?: number | null;
  /**
   * CPU ms per event answered 200, from the phase's first request until the target drained (idle
   * polling included). At a fixed rate every target does the same work, so this compares them far
   * more steadily than their latencies on a machine whose other work moves.
   */
  cpuMsPerEvent?: CpuPerEvent;
}

export interface IngestReport {
  target: string;
  closedLoopPerSec: number | null;
  p99MsAt1000: number | null;
  warmup: PhaseSummary | null;
  closedLoop: PhaseSummary | null;
  rates: Record<string, PhaseSummary | null>;
  /** Distinct mids answered 200 over every phase. */
  acknowledged: number;
  stored: number | null;
  lost: number | null;
  duplicated: number | null;
  /** Acknowledged mids not stored yet because the queue had not emptied by the deadline (then `lost` is null). */
  pendingAtDeadline: number | null;
  /**
   * After the closed loop: events acknowledged but not yet applied when it ended (the backlog),
   * and the rate they were applied at until the queue was empty (events fully processed per
   * second). Ours only.
   */
  drain?: {
    backlogAtEnd: number;
    drainedInMs: number | null;
    /** The backlog left at the end of the closed loop over the time it took to apply it. */
    drainPerSec: number | null;
    /**
     * Every event of the closed loop over the time from its start until the last one was applied:
     * what the service fully processes per second under that load, backlog or not.
     */
    processedPerSec: number | null;
  } | null;
  errors: Record<string, string>;
}

function summary(result: LoadResult, drainMs?: number | null, cpuMsPerEvent?: CpuPerEvent): PhaseSummary {
  return {
    connections: result.connections,
    targetRate: result.targetRate ?? null,
    okPerSec: result.okPerSec,
    responses: result.responses,
    ok: result.ok,
    statusCodes: result.statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    redeliveriesSent: result.redeliveriesSent,
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
    p999Ms: result.latencyMs.p999,
    maxMs: result.latencyMs.max,
    responseTimeP99Ms: result.responseTimeMs.p99,
    ...(drainMs !== undefined ? { drainMs } : {}),
    ...(cpuMsPerEvent ? { cpuMsPerEvent } : {}),
  };
}

/** `CpuPerEvent` as a log line's ending. */
function cpuText(cpu: CpuPerEvent | undefined): string {
  return cpu ? `, CPU ms/event ${cpu.server ?? 'n/a'} server + ${cpu.postgres ?? 'n/a'} PostgreSQL` : '';
}

async function waitDrained(target: IngestTarget, timeoutMs: number): Promise<number | null> {
  if (!target.drained) return undefined as unknown as null;
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await target.drained().catch(() => false)) return Date.now() - started;
    await sleep(200);
  }
  return null;
}

/**
 * One target through the whole ingest load: a short warm-up (JIT, pools), the fixed rates,
 * then closed loop; after each phase the target's queue is left to drain so phases do not
 * bleed into each other. Finally every acknowledged mid is looked up in the target's table.
 */
export async function runIngestSuite(target: IngestTarget, settings: IngestSettings, log: (line: string) => void): Promise<IngestReport> {
  const report: IngestReport = {
    target: target.name,
    closedLoopPerSec: null,
    p99MsAt1000: null,
    warmup: null,
    closedLoop: null,
    rates: {},
    acknowledged: 0,
    stored: null,
    lost: null,
    duplicated: null,
    pendingAtDeadline: null,
    errors: {},
  };
  const acked = new Set<string>();
  const prefixRoot = `${target.name}${Date.now().toString(36)}`;
  const pool = (phase: string, count: number) =>
    new DeliveryPool({
      prefix: `${prefixRoot}-${phase}`,
      count,
      appSecret: settings.appSecret,
      pageIds: settings.pageIds,
      sendersPerPage: settings.sendersPerPage,
      redeliveryShare: settings.redeliveryShare,
    });
  const cpuNow = () => ({ server: processCpuMs(target.pid), postgres: settings.postgresCpuMs?.() ?? null });
  const run = async (phase: string, count: number, rate?: number, durationS = settings.rateS, loaded?: (result: LoadResult) => Promise<void>) => {
    const before = cpuNow();
    const result = await runLoad({ url: target.webhookUrl, pool: pool(phase, count), durationS, connections: settings.connections, rate });
    for (const mid of result.ackedMids) acked.add(mid);
    await loaded?.(result);
    const drainMs = target.drained ? await waitDrained(target, settings.drainTimeoutMs) : undefined;
    const after = cpuNow();
    const cpu: CpuPerEvent = { server: cpuMsPer(after.server, before.server, result.ok), postgres: cpuMsPer(after.postgres, before.postgres, result.ok) };
    return { result, drainMs, cpu };
  };

  let warmRate = 2000;
  try {
    const { result, drainMs } = await run('warm', 20000, undefined, settings.warmupS);
    warmRate = Math.max(result.okPerSec, 200);
    report.warmup = summary(result);
    const drained = drainMs === undefined ? '' : `, drained in ${drainMs} ms`;
    log(`  ${target.name} warm-up (the senders' first messages): ${result.okPerSec}/s closed loop${drained}, codes ${JSON.stringify(result.statusCodes)}`);
    if (result.ok === 0) throw new Error(`no 200 answers during warm-up: ${JSON.stringify(result.statusCodes)} errors=${result.errors}`);
  } catch (error) {
    report.errors.warmup = String((error as Error).message ?? error);
    log(`  ${target.name} warm-up failed: ${report.errors.warmup}`);
    return report;
  }

  for (const rate of settings.rates) {
    try {
      const { result, drainMs, cpu } = await run(`r${rate}`, Math.ceil(rate * settings.rateS * 1.2) + 100, rate);
      report.rates[rate] = summary(result, drainMs, cpu);
      log(
        `  ${target.name} @${rate}/s: ${result.okPerSec}/s ok, p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} p99.9 ${result.latencyMs.p999} ms` +
          (drainMs !== undefined ? `, drained in ${drainMs ?? '>timeout'} ms` : '') +
          cpuText(cpu),
      );
    } catch (error) {
      report.rates[rate] = null;
      report.errors[`rate${rate}`] = String((error as Error).message ?? error);
      log(`  ${target.name} @${rate}/s failed: ${report.errors[`rate${rate}`]}`);
    }
  }
  report.p99MsAt1000 = report.rates[1000]?.p99Ms ?? null;

  try {
    // Sized so the closed loop never wraps round to deliveries it already sent (they would be
    // redeliveries: cheaper to answer, and not new events applied). The warm-up's rate is only a
    // hint: its senders are new, so it runs slower than the closed loop that follows.
    const built = Math.ceil(Math.max(warmRate, MIN_CLOSED_LOOP_RATE_HINT) * settings.closedLoopS * 1.6) + 1000;
    const applied = async () => (await target.storedMids!(`${prefixRoot}-closed%`)).distinct.size;
    let atEnd: { applied: number; at: number; backlog: number; startedAt: number } | undefined;
    const { result, drainMs, cpu } = await run('closed', built, undefined, settings.closedLoopS, async (loaded) => {
      if (loaded.responses > built) log(`  ${target.name} closed loop sent ${loaded.responses} deliveries of ${built} built: the rest were repeats`);
      if (!target.storedMids || !target.drained) return;
      const count = await applied();
      const at = Date.now();
      atEnd = { applied: count, at, backlog: loaded.ackedMids.size - count, startedAt: at - loaded.durationS * 1000 };
    });
    if (atEnd) {
      const drained = drainMs === null ? null : { applied: await applied(), at: Date.now() };
      report.drain = {
        backlogAtEnd: atEnd.backlog,
        drainedInMs: drained ? drained.at - atEnd.at : null,
        drainPerSec: drained && drained.at > atEnd.at ? Math.round(((drained.applied - atEnd.applied) * 1000) / (drained.at - atEnd.at)) : null,
        processedPerSec: drained ? Math.round((drained.applied * 1000) / (drained.at - atEnd.startedAt)) : null,
      };
      log(
        `  ${target.name} after the closed loop: ${atEnd.backlog} events not yet applied, applied at ${report.drain.drainPerSec ?? 'n/a'}/s until drained; ` +
          `${report.drain.processedPerSec ?? 'n/a'}/s applied from the start of the closed loop until drained`,
      );
    }
    report.closedLoop = summary(result, drainMs, cpu);
    report.closedLoopPerSec = result.okPerSec;
    log(
      `  ${target.name} closed loop (${result.connections} connections): ${result.okPerSec}/s, p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} ms` +
        (drainMs !== undefined ? `, drained in ${drainMs ?? '>timeout'} ms` : '') +
        cpuText(cpu),
    );
  } catch (error) {
    report.errors.closedLoop = String((error as Error).message ?? error);
    log(`  ${target.name} closed loop failed: ${report.errors.closedLoop}`);
  }

  report.acknowledged = acked.size;
  if (target.storedMids) {
    try {
      const drained = target.drained ? (await waitDrained(target, settings.drainTimeoutMs)) !== null : true;
      const stored = await target.storedMids(prefixRoot + '%');
      // Redeliveries and retries may store mids whose answer was lost; only acknowledged ones count as lost.
      let lost = 0;
      for (const mid of acked) if (!stored.distinct.has(mid)) lost += 1;
      report.stored = stored.distinct.size;
      report.duplicated = stored.rows - stored.distinct.size;
      if (drained) report.lost = lost;
      else report.pendingAtDeadline = lost;
      log(
        `  ${target.name}: ${acked.size} distinct mids acknowledged, ${stored.distinct.size} stored, ` +
          (drained ? `${lost} lost` : `${lost} not yet stored (queue not empty after ${settings.drainTimeoutMs} ms)`) +
          `, ${report.duplicated} duplicated`,
      );
    } catch (error) {
      report.errors.count = String((error as Error).message ?? error);
    }
  }
  return report;
}
