import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { DATABASE_UNAVAILABLE } from '../src/common/domain-error.filter';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { DELETE_FILES_JOB } from '../src/storage/delete-files.job';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { configureMetaApp, connectPage } from './support/meta-fixtures';
import { freePort, ServiceProcess, waitUntil } from './support/service-process';
import { createTestDatabase } from './support/test-database';

const ADMIN = 'faults-admin-token-0123456789';

/** What Meta does with a delivery: post it, and keep retrying until it gets a 200. */
async function deliverLikeMeta(sandbox: MetaSandbox, body: object, deadline: number): Promise<void> {
  for (;;) {
    const answer = await sandbox.postWebhook(body).catch(() => ({ status: 0 }));
    if (answer.status === 200) return;
    if (Date.now() > deadline) throw new Error(`delivery never acknowledged (last status ${answer.status})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** The service as a real process: killed with -9, restarted, its database stopped under it. */
describe('faults', () => {
  let sandbox: MetaSandbox;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    sandbox = await MetaSandbox.start();
  });
  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null) (p.kill('SIGKILL'), await p.exit());
    await sandbox.stop();
  });

  async function startService(databaseUrl: string, port: number, dataDir: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await ServiceProcess.start({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      ADMIN_TOKEN: ADMIN,
      ENCRYPTION_KEY: 'c'.repeat(64),
      META_GRAPH_URL: sandbox.url,
      META_OAUTH_DIALOG_URL: sandbox.url,
      MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'warn',
      ...env,
    });
    processes.push(service);
    await service.healthy();
    return service;
  }

  async function connectOrganization(service: ServiceProcess, pageId: string): Promise<string> {
    await configureMetaApp(service, sandbox, ADMIN);
    const org = await service.request('POST', '/api/admin/organizations', { token: ADMIN, body: { name: `Org ${pageId}` } });
    await connectPage(service, sandbox, org.body.apiKey, sandbox.addPage({ id: pageId, name: `Page ${pageId}` }));
    return org.body.apiKey;
  }

  /** Waits until every mid is stored, then reads how many rows each has. */
  async function storedCounts(db: Pool, mids: string[]): Promise<Map<string, number>> {
    const read = async () => {
      const { rows } = await db.query('SELECT external_id, count(*)::int AS n FROM messages WHERE external_id = ANY($1) GROUP BY external_id', [mids]);
      return new Map<string, number>(rows.map((r) => [r.external_id, r.n]));
    };
    await waitUntil(async () => ((await read()).size === mids.length ? true : undefined), 60000, 'every event to be processed').catch(async (error) => {
      const rows = await db.query('SELECT kind, lane, attempts, last_error, dead FROM inbound_queue ORDER BY id LIMIT 5');
      throw new Error(`${error.message}: ${(await read()).size} of ${mids.length} stored; inbound rows: ${JSON.stringify(rows.rows)}`);
    });
    return read();
  }
  /**
   * A PostgreSQL of the test's own (to stop under the service), the service on it with a
   * connected Page that the sandbox's webhooks go to, and a pool for the test to read with.
   */
  async function withOwnDatabase(
    pageId: string,
    work: (setup: { postgres: EmbeddedPostgres; db: Pool; service: ServiceProcess; apiKey: string }) => Promise<void>,
  ): Promise<void> {
    const postgres = new EmbeddedPostgres(mkdtempSync(join(tmpdir(), 'mi-faults-pg-')), { fast: true, port: await freePort() });
    const databaseUrl = await postgres.start();
    const db = new Pool({ connectionString: databaseUrl, max: 2 });
    db.on('error', () => undefined);
    try {
      const service = await startService(databaseUrl, await freePort(), mkdtempSync(join(tmpdir(), 'mi-faults-db-')));
      sandbox.webhookTarget = `${service.baseUrl}/api/meta/webhook`;
      const apiKey = await connectOrganization(service, pageId);
      await work({ postgres, db, service, apiKey });
    } finally {
      await db.end();
      await postgres.stop();
    }
  }


  describe('kill -9 of the service', () => {
    let databaseUrl: string;
    let db: Pool;
    let service: ServiceProcess;
    let port: number;
    const dataDir = mkdtempSync(join(tmpdir(), 'mi-faults-'));
    const pageId = '700000000000001';
    let apiKey: string;

    beforeAll(async () => {
      databaseUrl = await createTestDatabase();
      db = new Pool({ connectionString: databaseUrl, max: 2 });
      port = await freePort();
      service = await startService(databaseUrl, port, dataDir);
      sandbox.webhookTarget = `${service.baseUrl}/api/meta/webhook`;
      apiKey = await connectOrganization(service, pageId);
    });
    afterAll(() => db.end());

    it('processes every acknowledged event exactly once in effect after a kill -9 mid-ingest', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `psid-fault-${i}`);
      users.forEach((user, i) => sandbox.addProfile(user, { first_name: 'Customer', last_name: String(i) }));
      const deliveries = Array.from({ length: 300 }, (_, i) => {
        const mid = newMid('messenger');
        return { mid, body: webhookOf('messenger', pageId, messageEvent('messenger', { account: pageId, user: users[i % users.length] }, { mid, text: `m${i}` })) };
      });
      const acknowledged = new Set<string>();
      let killed = false;
      await inParallel(deliveries, 16, async ({ mid, body }) => {
        const answer = await sandbox.postWebhook(body).catch(() => ({ status: 0 }));
        if (answer.status === 200) acknowledged.add(mid);
        if (!killed && acknowledged.size >= 100) {
          killed = true;
          service.kill('SIGKILL');
        }
      });
      await service.exit();
      expect(acknowledged.size).toBeGreaterThanOrEqual(100);
      expect(acknowledged.size).toBeLessThan(deliveries.length);

      service = await startService(databaseUrl, port, dataDir);
      // Meta retries what was not acknowledged, and redelivers some of what was (10 %).
      const deadline = Date.now() + 60000;
      const retries = deliveries.filter((d) => !acknowledged.has(d.mid) || Math.random() < 0.1);
      await inParallel(retries, 8, ({ body }) => deliverLikeMeta(sandbox, body, deadline));
      const stored = await storedCounts(db, deliveries.map((d) => d.mid));
      for (const { mid } of deliveries) expect(stored.get(mid)).toBe(1);
      const conversations = await db.query('SELECT count(*)::int AS n FROM conversations');
      expect(conversations.rows[0].n).toBe(users.length);
      const contacts = await db.query('SELECT count(*)::int AS n FROM contact_facebook');
      expect(contacts.rows[0].n).toBe(users.length);
    }, 120000);

    it('sends every accepted message after a kill -9 mid-send, each at least once and nearly all exactly once', async () => {
      const { rows: contacts } = await db.query('SELECT contact_id FROM contact_facebook ORDER BY psid');
      sandbox.failNext(20, { delayMs: 150, path: /\/me\/messages$/ });
      const accepted: { id: string; text: string }[] = [];
      for (let i = 0; i < 60; i++) {
        const text = `kill-send-${i}`;
        const answer = await service.request('POST', '/api/messaging/send', {
          token: apiKey,
          body: { channel: 'facebook_messenger', contactId: contacts[i % contacts.length].contact_id, text },
        });
        expect(answer.status).toBe(202);
        accepted.push({ id: answer.body.messages[0].id, text });
      }
      await waitUntil(async () => (sandbox.sent().some((s) => JSON.stringify(s.body).includes('kill-send-')) ? true : undefined), 10000, 'the first send');
      service.kill('SIGKILL');
      await service.exit();
      service = await startService(databaseUrl, port, dataDir);
      const settled = async () => {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM messages WHERE id = ANY($1) AND status IN ('published', 'delivered', 'read', 'failed')", [accepted.map((a) => a.id)]);
        return rows[0].n === accepted.length ? true : undefined;
      };
      await waitUntil(settled, 60000, 'every accepted send to settle');

      const { rows } = await db.query('SELECT id, status, external_id FROM messages WHERE id = ANY($1)', [accepted.map((a) => a.id)]);
      expect(rows).toHaveLength(accepted.length);
      for (const row of rows) {
        expect(['published', 'delivered', 'read']).toContain(row.status);
        expect(row.external_id).toBeTruthy();
      }
      const calls = new Map<string, number>();
      for (const sent of sandbox.sent()) {
        const text = (sent.body as { message?: { text?: string } }).message?.text;
        if (text?.startsWith('kill-send-')) calls.set(text, (calls.get(text) ?? 0) + 1);
      }
      for (const { text } of accepted) expect(calls.get(text)).toBeGreaterThanOrEqual(1);
      // At-least-once per Graph call: only a call in flight at the kill can be repeated.
      const repeated = [...calls.values()].filter((n) => n > 1).length;
      expect(repeated).toBeLessThanOrEqual(16);
    }, 120000);

    it('loses no event committed before a kill -9 that came before the relay could publish it', async () => {
      // The relay cannot mark anything relayed: every event stays committed and unpublished.
      await db.query(`CREATE OR REPLACE FUNCTION refuse_relay() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'relay refused'; END $$`);
      await db.query(`CREATE TRIGGER refuse_relay BEFORE UPDATE ON domain_events FOR EACH ROW EXECUTE FUNCTION refuse_relay()`);
      const mids = Array.from({ length: 20 }, () => newMid('messenger'));
      try {
        for (const [i, mid] of mids.entries()) {
          const body = webhookOf('messenger', pageId, messageEvent('messenger', { account: pageId, user: `psid-fault-${i}` }, { mid, text: `held ${i}` }));
          expect((await sandbox.postWebhook(body)).status).toBe(200);
        }
        const unpublished = async () =>
          (await db.query(`SELECT count(*)::int AS n FROM domain_events e WHERE relayed_at IS NULL AND e.data->'object'->>'externalId' = ANY($1)`, [mids])).rows[0].n;
        await waitUntil(async () => ((await unpublished()) === mids.length ? true : undefined), 30000, 'every message and its event to commit');
        service.kill('SIGKILL');
        await service.exit();
      } finally {
        await db.query(`DROP TRIGGER refuse_relay ON domain_events`);
      }

      service = await startService(databaseUrl, port, dataDir);
      const received = async () => {
        const events: any[] = [];
        for (let after = 0; ; ) {
          const page = await service.request('GET', `/api/events?after=${after}&limit=100`, { token: apiKey });
          events.push(...page.body.data);
          if (page.body.nextCursor === null) break;
          after = Number(page.body.nextCursor);
        }
        return events;
      };
      await waitUntil(
        async () => {
          const found = (await received()).filter((e) => e.type === 'message.received' && mids.includes(e.data.object.externalId));
          return found.length === mids.length ? found : undefined;
        },
        30000,
        'every held event to be relayed after the restart',
      );
      const all = await received();
      expect(all.map((e) => e.sequence)).toEqual(all.map((_, i) => i + 1));
      // Everything is announced too; the new contacts' profiles keep adding events for a moment.
      const unfinished = async () => (await db.query(`SELECT count(*)::int AS n FROM domain_events WHERE relayed_at IS NULL OR announced_at IS NULL`)).rows[0].n;
      await waitUntil(async () => ((await unfinished()) === 0 ? true : undefined), 15000, 'every event relayed and announced');
    }, 120000);
  });

  it('frees a job it holds but runs nowhere (a completion lost with the database) after JOB_ORPHAN_GRACE_SECONDS, and the job runs', async () => {
    const databaseUrl = await createTestDatabase();
    const db = new Pool({ connectionString: databaseUrl, max: 2 });
    try {
      const service = await startService(databaseUrl, await freePort(), mkdtempSync(join(tmpdir(), 'mi-faults-orphan-')), { JOB_ORPHAN_GRACE_SECONDS: '2', LOG_LEVEL: 'info' });
      // What a lost completion leaves: the job and its queue locked by this instance, run by none of its workers.
      const { rows: instances } = await db.query(`SELECT worker_ids FROM job_instances`);
      const owner = instances[0].worker_ids[0];
      const { rows: jobs } = await db.query(
        `SELECT id, job_queue_id FROM graphile_worker.add_job('${DELETE_FILES_JOB}', '{"storageKeys": []}'::json, queue_name => 'media:orphan-test', run_at => now() + interval '1 hour')`,
      );
      await db.query(`UPDATE graphile_worker._private_jobs SET locked_by = $2, locked_at = now(), run_at = now() WHERE id = $1`, [jobs[0].id, owner]);
      await db.query(`UPDATE graphile_worker._private_job_queues SET locked_by = $2, locked_at = now() WHERE id = $1`, [jobs[0].job_queue_id, owner]);
      const ran = async () => ((await db.query(`SELECT 1 FROM graphile_worker._private_jobs WHERE id = $1`, [jobs[0].id])).rows.length === 0 ? true : undefined);
      await waitUntil(ran, 30000, 'the freed job to run');
      expect(service.output).toMatch(/freed 1 job\(s\) this instance held without running them/);
    } finally {
      await db.end();
    }
  }, 60000);

  it('keeps running when its database stops while events are being applied, and applies each acknowledged event once when it is back', async () => {
    const pageId = '700000000000003';
    await withOwnDatabase(pageId, async ({ postgres, db, service }) => {
      const mids = Array.from({ length: 400 }, () => newMid('messenger'));
      const deadline = Date.now() + 150000;
      // Meta's steady stream: the stop lands while jobs run, finish and complete.
      const delivered = inParallel(mids, 16, (mid) => {
        const i = mids.indexOf(mid);
        return deliverLikeMeta(sandbox, webhookOf('messenger', pageId, messageEvent('messenger', { account: pageId, user: `psid-busy-${i % 40}` }, { mid, text: `b${i}` })), deadline);
      });
      await waitUntil(async () => ([...(await storedCounts(db, mids)).values()].length >= 60 ? true : undefined), 60000, 'events to be applied before the stop');
      await postgres.stop();
      await new Promise((r) => setTimeout(r, 5000));
      await postgres.start();
      await delivered;
      await waitUntil(
        async () => ((await storedCounts(db, mids)).size === mids.length ? true : undefined),
        90000,
        'every acknowledged event to be applied',
      );
      expect([...(await storedCounts(db, mids)).values()].every((n) => n === 1)).toBe(true);
      expect(service.child.exitCode).toBeNull();
    });
  }, 240000);

  it('acknowledges everything Meta retries while its database is down for 30 s, and recovers by itself', async () => {
    const pageId = '700000000000002';
    await withOwnDatabase(pageId, async ({ postgres, db, service, apiKey }) => {
      const mids: string[] = [];
      const pending: Promise<void>[] = [];
      const deadline = Date.now() + 120000;
      const deliverOne = (i: number) => {
        const mid = newMid('messenger');
        mids.push(mid);
        const body = webhookOf('messenger', pageId, messageEvent('messenger', { account: pageId, user: `psid-outage-${i % 5}` }, { mid, text: `o${i}` }));
        pending.push(deliverLikeMeta(sandbox, body, deadline));
      };
      for (let i = 0; i < 10; i++) deliverOne(i);
      await postgres.stop();
      const outageEnds = Date.now() + 30000;
      let refused = 0;
      for (let i = 10; Date.now() < outageEnds; i++) {
        deliverOne(i);
        if ((await service.request('GET', '/health')).status !== 200) refused++;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(refused).toBeGreaterThan(0);
      // The inbox's own requests are told to retry, not that the service is broken.
      const unavailable = await service.request('GET', '/api/conversations', { token: apiKey });
      expect([unavailable.status, unavailable.body.message, unavailable.headers.get('retry-after')]).toEqual([503, DATABASE_UNAVAILABLE, '1']);
      await postgres.start();
      await Promise.all(pending);
      await waitUntil(async () => ((await service.request('GET', '/health')).status === 200 ? true : undefined), 30000, 'health to recover');
      const stored = await storedCounts(db, mids);
      expect([...stored.values()].every((n) => n === 1)).toBe(true);
      expect(service.child.exitCode).toBeNull();
      // The integrator dispatcher polls four times a second: it says why claiming fails once per reason, not at every poll.
      const claimFailures = service.output.split('\n').filter((line) => line.includes('claiming due deliveries failed'));
      expect(claimFailures.length).toBeGreaterThanOrEqual(1);
      expect(claimFailures.length).toBeLessThanOrEqual(3);
    });
  }, 180000);
});
