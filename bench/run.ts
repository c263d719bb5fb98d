/**
 * `npm run bench`: the service against the stack's floor and a peer, in one run, on loopback.
 * See bench/README.md for what each part measures. Every part is guarded: one that fails
 * prints its error, records null and the rest still runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import type { SandboxPage } from '../src/sandbox/meta-sandbox';
import { psid } from './events';
import { IngestSettings, runIngestSuite } from './ingest';
import { enableStatementStats, reportStatements } from './pg-statements';
import { runIntegratorWebhooks } from './integrator-webhooks';
import { prepareContacts, runOutbound, runOutboundWithLimitedPage } from './outbound';
import { BenchResults, renderTables, targetRows } from './report';
import { runSocketLatencyApart } from './socket-latency';
import { DbCounters, installBottender, IngestTarget, OurService, ROOT, startBaseline, startBottender, startOurs } from './targets';
import { sleep } from './processes';
import { cpuMsPer, postgresCpuMs, processCpuMs } from './cpu';

/** Database work per unit (transactions, rows written), from pg_stat_database deltas. */
async function perUnit(service: OurService, before: DbCounters, units: number): Promise<Record<string, number> | null> {
  if (!units) return null;
  await sleep(1500); // backends report their statistics at most once a second
  const after = await service.dbCounters();
  const per = (key: keyof DbCounters) => Math.round(((after[key] - before[key]) / units) * 10) / 10;
  return { transactions: per('transactions'), rowsInserted: per('inserted'), rowsUpdated: per('updated'), rowsDeleted: per('deleted') };
}

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
/** BENCH_PARTS=baseline,bottender,ours,socket,webhooks,outbound,limited (default: all). */
const parts = new Set((process.env.BENCH_PARTS ?? 'baseline,bottender,ours,socket,webhooks,outbound,limited').split(',').map((p) => p.trim()));

const PAGE_COUNT = 4;
const settings: Omit<IngestSettings, 'appSecret' | 'pageIds'> = {
  sendersPerPage: env('BENCH_SENDERS_PER_PAGE', 250),
  redeliveryShare: 0.1,
  connections: env('BENCH_CONNECTIONS', 32),
  warmupS: env('BENCH_WARMUP_S', 3),
  closedLoopS: env('BENCH_CLOSED_S', 10),
  rateS: env('BENCH_RATE_S', 8),
  rates: [250, 500, 1000],
  drainTimeoutMs: env('BENCH_DRAIN_TIMEOUT_MS', 45000),
};

const started = Date.now();
const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
const message = (error: unknown) => String((error as Error)?.message ?? error).slice(0, 2000);

async function main(): Promise<void> {
  const results: BenchResults = {
    meta: {
      startedAt: new Date(started).toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      commit: gitCommit(),
      settings,
      pages: PAGE_COUNT,
      // Other work on the machine skews every figure; recorded so a reader can judge.
      loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
    },
    ingest: {
      ours: { closedLoopPerSec: null, p99MsAt1000: null },
      baseline: { closedLoopPerSec: null },
      bottender: { closedLoopPerSec: null },
    },
    socketLatency: { p50Ms: null, p99Ms: null },
    integratorWebhooks: null,
    outbound: { sendsPerSec: null, p99Ms: null, maxPerPagePerSec: null },
    outboundLimited: { p99Ms: null },
    targets: [],
    errors: {},
  };
  const work = mkdtempSync(join(tmpdir(), 'meta-inbox-bench-'));
  const logDir = join(ROOT, 'bench', '.tmp', 'logs');
  mkdirSync(logDir, { recursive: true });
  for (const name of ['baseline.log', 'bottender.log', 'service.log']) rmSync(join(logDir, name), { force: true });
  log(`work dir ${work}, server logs in bench/.tmp/logs`);

  const cleanups: Array<() => Promise<unknown>> = [];
  let statementStatsUrl: string | undefined;
  // BENCH_PG_STATEMENTS=1 shows each part's 15 most expensive statements; a larger number shows that many.
  const statementsShown = Math.max(15, Number(process.env.BENCH_PG_STATEMENTS) || 0);
  const guard = async <T>(part: string, body: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await body();
    } catch (error) {
      results.errors[part] = message(error);
      log(`${part} FAILED: ${message(error)}`);
      return undefined;
    } finally {
      if (statementStatsUrl) await reportStatements(statementStatsUrl, part, log, statementsShown).catch((error) => log(`  no statement statistics: ${message(error)}`));
    }
  };

  // Product settings: the same EmbeddedPostgres the service starts for itself, fsync on.
  const postgres = new EmbeddedPostgres(join(work, 'postgres-data'));
  let sandbox: MetaSandbox | undefined;
  try {
    const serverUrl = await postgres.start();
    log('embedded PostgreSQL started (product settings)');
    if (Number(process.env.BENCH_PG_STATEMENTS) >= 1) {
      await enableStatementStats(postgres, serverUrl);
      statementStatsUrl = serverUrl;
    }
    if (process.env.BENCH_PG_LOG_STATEMENTS === '1') {
      // Diagnosis only: every statement, with its duration, into the server log (bench keeps the work dir).
      const { Client } = await import('pg');
      const admin = new Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`ALTER SYSTEM SET log_min_duration_statement = 0`);
      await admin.query('SELECT pg_reload_conf()');
      await admin.end();
    }
    sandbox = await MetaSandbox.start();
    const pages: SandboxPage[] = [];
    for (let i = 0; i < PAGE_COUNT; i++) pages.push(sandbox.addPage({ id: `10${String(i + 1).padStart(13, '0')}`, name: `Bench Page ${i + 1}` }));
    for (let p = 0; p < PAGE_COUNT; p++) {
      for (let s = 0; s < settings.sendersPerPage; s++) {
        sandbox.addProfile(psid(p, s), { first_name: 'Load', last_name: `Tester ${p}-${s}`, name: `Load Tester ${p}-${s}`, profile_pic: `${sandbox.url}/cdn/none` });
      }
    }
    const ingestSettings: IngestSettings = {
      ...settings,
      appSecret: sandbox.appSecret,
      pageIds: pages.map((p) => p.id),
      postgresCpuMs: () => postgresCpuMs(postgres.clusterDir),
    };
    const suite = async (name: 'ours' | 'baseline' | 'bottender', start: () => Promise<IngestTarget>) => {
      const target = await start();
      cleanups.push(() => target.stop());
      log(`${name}: ${target.label} at ${target.webhookUrl}`);
      const report = await runIngestSuite(target, ingestSettings, log);
      results.ingest[name] = report;
      return target;
    };

    if (parts.has('baseline')) {
      await guard('ingest.baseline', async () => {
        const target = await suite('baseline', () => startBaseline(serverUrl, sandbox!.appSecret, logDir));
        await target.stop();
      });
    }
    if (parts.has('bottender')) {
      await guard('ingest.bottender', async () => {
        await installBottender(log);
        const target = await suite('bottender', () => startBottender(sandbox!, pages[0], logDir));
        await target.stop();
      });
    }

    let ours: OurService | undefined;
    if (parts.has('ours') || parts.has('socket') || parts.has('webhooks') || parts.has('outbound') || parts.has('limited')) {
      ours = await guard('service', async () => {
        if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) throw new Error('dist/src/main.js is missing: run `npm run build`');
        const service = await startOurs({
          serverUrl,
          sandbox: sandbox!,
          pages,
          dataDir: join(work, 'service-data'),
          logDir,
          logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
          nodeArgs: (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean),
        });
        cleanups.push(() => service.stop());
        sandbox!.webhookTarget = service.webhookUrl;
        log(`ours: service up at ${service.baseUrl}, ${service.organizations.length} organizations connected through OAuth`);
        return service;
      });
    }
    if (ours && parts.has('ours')) {
      await guard('ingest.ours', async () => {
        const before = await ours!.dbCounters();
        await suite('ours', async () => ({ ...ours!, stop: async () => undefined }));
        const report = results.ingest.ours as { sentDeliveries?: number; dbPerDelivery?: unknown };
        const phases = results.ingest.ours as { rates?: Record<string, { responses: number } | null>; closedLoop?: { responses: number } | null; warmup?: { responses: number } | null };
        const deliveries = [...Object.values(phases.rates ?? {}), phases.closedLoop, phases.warmup].reduce((n, phase) => n + (phase?.responses ?? 0), 0);
        report.dbPerDelivery = await perUnit(ours!, before, deliveries);
        log(`  ours database work per delivery: ${JSON.stringify(report.dbPerDelivery)}`);
      });
    }
    if (ours && parts.has('socket')) {
      await guard('socketLatency', async () => {
        log('socket latency: 200 sockets, 500 events/s');
        const org = ours!.organizations[0];
        results.socketLatency = await runSocketLatencyApart({
          baseUrl: ours!.baseUrl,
          apiKey: org.apiKey,
          pageId: org.pageId,
          appSecret: sandbox!.appSecret,
          sockets: env('BENCH_SOCKETS', 200),
          rate: env('BENCH_SOCKET_RATE', 500),
          durationS: env('BENCH_SOCKET_S', 6),
          warmupS: env('BENCH_SOCKET_WARMUP_S', 2),
          log,
        });
        const r = results.socketLatency;
        log(`  received ${r.received}/${r.acknowledged} on the designated socket, p50 ${r.p50Ms} p99 ${r.p99Ms} ms; ${r.socketsWithAll}/${r.sockets} sockets got every event`);
      });
    }
    if (ours && parts.has('webhooks')) {
      await guard('integratorWebhooks', async () => {
        log('integrator webhooks: a local endpoint verifying signatures, a burst, then 500 events/s');
        const org = ours!.organizations[0];
        const r = await runIntegratorWebhooks({
          baseUrl: ours!.baseUrl,
          apiKey: org.apiKey,
          pageId: org.pageId,
          appSecret: sandbox!.appSecret,
          rate: env('BENCH_WEBHOOK_RATE', 500),
          durationS: env('BENCH_WEBHOOK_S', 6),
          burst: env('BENCH_WEBHOOK_BURST', 3000),
          log,
        });
        results.integratorWebhooks = r;
        log(`  steady ${r.steady.received}/${r.steady.acknowledged} at ${r.steady.rate}/s, p50 ${r.steady.p50Ms} p99 ${r.steady.p99Ms} ms; lost ${r.lost}, duplicates dropped ${r.duplicatesDropped}, bad signatures ${r.badSignatures}`);
      });
    }
    let contacts: Map<string, string[]> | undefined;
    if (ours && parts.has('outbound')) {
      await guard('outbound', async () => {
        const perPage = env('BENCH_CONTACTS_PER_PAGE', 50);
        contacts = await prepareContacts(sandbox!, ours!.webhookUrl, ours!.databaseUrl, ours!.organizations, perPage);
        sandbox!.clear();
        const count = env('BENCH_SENDS', 3000);
        log(`outbound: ${count} sends across ${ours!.organizations.length} Pages, ${perPage} conversations each`);
        const before = await ours!.dbCounters();
        const cpuBefore = { service: processCpuMs(ours!.pid), postgres: postgresCpuMs(postgres.clusterDir) };
        results.outbound = await runOutbound({
          baseUrl: ours!.baseUrl,
          sandbox: sandbox!,
          organizations: ours!.organizations,
          contacts: contacts!,
          count,
          concurrency: env('BENCH_SEND_CONCURRENCY', 32),
        });
        const r = results.outbound;
        const cpuAfter = { service: processCpuMs(ours!.pid), postgres: postgresCpuMs(postgres.clusterDir) };
        (r as { dbPerSend?: unknown }).dbPerSend = await perUnit(ours!, before, r.accepted);
        log(`  database work per send: ${JSON.stringify((r as { dbPerSend?: unknown }).dbPerSend)}`);
        // CPU time per send, unlike sends/s, hardly moves with other work on the machine.
        (r as { cpuMsPerSend?: unknown }).cpuMsPerSend = {
          service: cpuMsPer(cpuAfter.service, cpuBefore.service, r.accepted),
          postgres: cpuMsPer(cpuAfter.postgres, cpuBefore.postgres, r.accepted),
        };
        log(`  CPU ms per send (first POST to last Graph call, idle polling included): ${JSON.stringify((r as { cpuMsPerSend?: unknown }).cpuMsPerSend)}`);
        log(`  ${r.delivered}/${r.accepted} delivered at ${r.sendsPerSec}/s, enqueue→Graph p50 ${r.p50Ms} p99 ${r.p99Ms} ms, max ${r.maxPerPagePerSec}/s per Page, ${r.graphRequestsPerSend} Graph requests a send; codes ${JSON.stringify(r.statusCodes)}`);
      });
    }
    if (ours && parts.has('limited')) {
      await guard('outboundLimited', async () => {
        contacts ??= await prepareContacts(sandbox!, ours!.webhookUrl, ours!.databaseUrl, ours!.organizations, env('BENCH_CONTACTS_PER_PAGE', 50));
        const seconds = env('BENCH_LIMITED_S', 60);
        const ratePerSec = env('BENCH_LIMITED_RATE', 200);
        log(`outbound with one Page answering 613 for ${seconds} s: ${ratePerSec} sends/s across ${ours!.organizations.length} Pages`);
        const r = await runOutboundWithLimitedPage({ baseUrl: ours!.baseUrl, sandbox: sandbox!, organizations: ours!.organizations, contacts, seconds, ratePerSec });
        results.outboundLimited = r;
        log(
          `  other Pages: ${r.delivered}/${r.accepted} delivered, enqueue→Graph p50 ${r.p50Ms} p99 ${r.p99Ms} max ${r.maxMs} ms ` +
            `(p99 of each 10 s: ${r.p99By10sMs.join(', ')} ms); ` +
            `the limited Page made ${r.limitedCalls} calls for ${r.limitedRequested} sends; codes ${JSON.stringify(r.statusCodes)}`,
        );
      });
    }
  } catch (error) {
    results.errors.setup = message(error);
    log(`setup FAILED: ${message(error)}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await sandbox?.stop().catch(() => undefined);
    await postgres.stop().catch(() => undefined);
    if (process.env.BENCH_KEEP_WORK === '1') log(`work dir kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  results.meta.durationS = Math.round((Date.now() - started) / 1000);
  results.meta.loadAverageAtEnd = loadavg().map((v) => Math.round(v * 100) / 100);
  results.targets = targetRows(results);
  const serializable = JSON.parse(JSON.stringify(results, (_key, value) => (value instanceof Set ? value.size : value)));
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(serializable, null, 2)}\n`);
  process.stdout.write(`\n${renderTables(results)}\n\n`);
  if (Object.keys(results.errors).length) process.stdout.write(`errors: ${JSON.stringify(results.errors, null, 2)}\n`);
  log(`done in ${results.meta.durationS} s; bench/results.json written`);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
