import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { JobQueue } from '../src/jobs/job-queue.service';
import { RESTING } from '../src/jobs/resting-queues';
import { INBOUND_EVENTS_JOB } from '../src/mods/meta/jobs/inbound-event.job';
import { ConversationEvents, splitDelivery } from '../src/mods/meta/mappers/webhook-delivery';
import { MessageChannel } from '../src/messaging/message-channel';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import type { WebhookBody } from '../src/mods/meta/types/webhook.types';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';
import { eventually } from './support/eventually';

describe('durable jobs with the inbound events job', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  const PAGE = '304000000000001';

  const messageCount = async (mid: string) => Number((await t.db.query(`SELECT count(*) FROM messages WHERE external_id = $1`, [mid])).rows[0].count);
  const body = (mid: string, text: string) =>
    webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: 'psid-jobs' }, { mid, text })) as WebhookBody;
  const conversationEvents = (mid: string, text: string): ConversationEvents =>
    splitDelivery(body(mid, text), MessageChannel.FacebookMessenger, Date.now()).batches[0].payload;

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox());
    sandbox.addPage({ id: PAGE, name: 'Jobs Page' });
    const org = await t.createOrganization('Jobs Org');
    await connectPage(t, sandbox, org.apiKey, { id: PAGE });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.stop();
  });

  it('runs a job added inside a transaction after the commit, and never one whose transaction rolled back', async () => {
    const jobs = t.app.get(JobQueue);
    const dataSource = t.app.get(DataSource);
    const committed = newMid('messenger');
    const rolledBack = newMid('messenger');

    await expect(
      dataSource.transaction(async (manager) => {
        await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(rolledBack, 'rolled back'), {}, manager);
        throw new Error('abort the transaction');
      }),
    ).rejects.toThrow('abort the transaction');

    await dataSource.transaction(async (manager) => {
      await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(committed, 'committed'), {}, manager);
      // Not before the commit: the worker cannot see the job yet.
      await new Promise((r) => setTimeout(r, 300));
      expect(await messageCount(committed)).toBe(0);
    });

    await eventually(() => messageCount(committed), (n) => n === 1);
    const rolledBackJobs = await t.db.query(`SELECT count(*) FROM graphile_worker._private_jobs WHERE payload::text LIKE $1`, [`%${rolledBack}%`]);
    expect(rolledBackJobs.rows[0].count).toBe('0');
    expect(await messageCount(rolledBack)).toBe(0);
  });

  it('retries a failing event job with backoff until it succeeds', async () => {
    // A fault in the database: inserting this text fails until the constraint goes.
    await t.db.query(`ALTER TABLE messages ADD CONSTRAINT test_fault CHECK (text IS DISTINCT FROM 'fails once')`);
    const mid = newMid('messenger');
    try {
      expect((await sandbox.postWebhook(body(mid, 'fails once'))).status).toBe(200);
      const failed = await eventually(
        async () =>
          (
            await t.db.query(
              `SELECT attempts, last_error, run_at, updated_at FROM graphile_worker.jobs WHERE task_identifier = 'meta.inbound.events' AND last_error IS NOT NULL`,
            )
          ).rows[0],
        (row) => row !== undefined,
      );
      expect(failed.attempts).toBe(1);
      expect(failed.last_error).toContain('test_fault');
      // Backoff: exp(1) ≈ 2.7 s after the failure.
      expect(failed.run_at.getTime() - failed.updated_at.getTime()).toBeGreaterThan(2000);
      expect(await messageCount(mid)).toBe(0);
    } finally {
      await t.db.query(`ALTER TABLE messages DROP CONSTRAINT test_fault`);
    }
    await eventually(() => messageCount(mid), (n) => n === 1, 15000);
  });

  it('fails an inbound job without an account id instead of routing it to some organization', async () => {
    const mid = newMid('messenger');
    const { events, channel, receivedAt } = conversationEvents(mid, 'no account');
    await t.app.get(JobQueue).add(INBOUND_EVENTS_JOB, { channel, receivedAt, events }, { maxAttempts: 1 });
    const failed = await eventually(
      async () => (await t.db.query(`SELECT last_error FROM graphile_worker._private_jobs WHERE payload::text LIKE $1 AND last_error IS NOT NULL`, [`%${mid}%`])).rows[0],
      (row) => row !== undefined,
    );
    expect(failed.last_error).toContain('without an account id');
    expect(await messageCount(mid)).toBe(0);
  });

  describe('named queues left without jobs', () => {
    const queueRow = async (name: string) => (await t.db.query(`SELECT id, locked_at FROM graphile_worker._private_job_queues WHERE queue_name = $1`, [name])).rows[0];

    it('lose their rows, while queues with a job waiting keep theirs', async () => {
      const jobs = t.app.get(JobQueue);
      const done = newMid('messenger');
      await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(done, 'done'), { queue: 'test:idle-done' });
      await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(newMid('messenger'), 'later'), { queue: 'test:idle-waiting', runAt: new Date(Date.now() + 3600_000) });
      await eventually(() => messageCount(done), (n) => n === 1);
      // Unlocked once its job is done, if the service's own periodic deletion has not taken it already.
      await eventually(() => queueRow('test:idle-done'), (row) => row === undefined || row.locked_at === null);

      await jobs.deleteIdleQueues();
      expect(await queueRow('test:idle-done')).toBeUndefined();
      expect(await queueRow('test:idle-waiting')).toBeDefined();
      await t.db.query(`DELETE FROM graphile_worker._private_jobs WHERE job_queue_id = $1`, [(await queueRow('test:idle-waiting')).id]);
    });

    it('are not deleted under a job being added to them, which then runs in its queue', async () => {
      const jobs = t.app.get(JobQueue);
      const [first, mid] = [newMid('messenger'), newMid('messenger')];
      await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(first, 'first'), { queue: 'test:idle-race' });
      // The queue is idle now; the service's own periodic deletion may take its row at any moment.
      await eventually(() => messageCount(first), (n) => n === 1);
      await t.app.get(DataSource).transaction(async (manager) => {
        await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(mid, 'raced'), { queue: 'test:idle-race' }, manager);
        // The adding transaction holds the queue-rows lock shared: the deletion gives up instead.
        expect(await jobs.deleteIdleQueues()).toBe(0);
        const queued = await manager.query(
          `SELECT q.queue_name FROM graphile_worker._private_jobs j JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id WHERE j.payload::text LIKE $1`,
          [`%${mid}%`],
        );
        expect(queued).toEqual([{ queue_name: 'test:idle-race' }]);
      });
      // A job whose queue row was deleted under it would never be fetched.
      await eventually(() => messageCount(mid), (n) => n === 1);
    });
  });

  describe('named queues left without jobs, under load', () => {
    const queueRow = async (name: string) => (await t.db.query(`SELECT id FROM graphile_worker._private_job_queues WHERE queue_name = $1`, [name])).rows[0];
    const idleQueue = async (name: string) =>
      (await t.db.query(`INSERT INTO graphile_worker._private_job_queues (queue_name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id`, [name])).rows[0];

    it('are deleted while fetches and completions hold other queue rows', async () => {
      const jobs = t.app.get(JobQueue);
      const client = await t.db.connect();
      try {
        // What a fetch that locks a queue, or a completion that frees one, does to the table. The service's own
        // periodic deletion may take the idle row before this transaction holds it: then it is made again.
        for (let held = 0; held === 0; ) {
          await idleQueue('test:held-by-a-fetch');
          await client.query('BEGIN');
          held = (await client.query(`UPDATE graphile_worker._private_job_queues SET locked_at = NULL WHERE queue_name = $1`, ['test:held-by-a-fetch'])).rowCount ?? 0;
          if (held === 0) await client.query('ROLLBACK');
        }
        // Made idle while the table is so held: only a deletion that does not need the table's lock can take it.
        await idleQueue('test:idle-beside');
        await jobs.deleteIdleQueues();
        expect(await queueRow('test:idle-beside')).toBeUndefined();
        // The row the other transaction holds is skipped, not waited for.
        expect(await queueRow('test:held-by-a-fetch')).toBeDefined();
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });

    it('are kept while a job is added to a queue that already has a row, and deleted once it committed', async () => {
      const jobs = t.app.get(JobQueue);
      // A queue with a job waiting keeps its row, so the next job finds it (ON CONFLICT DO NOTHING).
      await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(newMid('messenger'), 'waiting'), { queue: 'test:found', runAt: new Date(Date.now() + 3600_000) });
      const found = await queueRow('test:found');
      await t.app.get(DataSource).transaction(async (manager) => {
        await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(newMid('messenger'), 'also waiting'), { queue: 'test:found', runAt: new Date(Date.now() + 3600_000) }, manager);
        expect(await queueRow('test:found')).toEqual(found);
        await idleQueue('test:idle-meanwhile');
        expect(await jobs.deleteIdleQueues()).toBe(0);
        expect(await queueRow('test:idle-meanwhile')).toBeDefined();
      });
      await jobs.deleteIdleQueues();
      expect(await queueRow('test:idle-meanwhile')).toBeUndefined();
      await t.db.query(`DELETE FROM graphile_worker._private_jobs WHERE job_queue_id = $1`, [found.id]);
    });
  });

  it('runs the due job of a queue left resting by an instance that is gone once its rest is over, not before', async () => {
    const jobs = t.app.get(JobQueue);
    const mid = newMid('messenger');
    const restUntil = async (manager: EntityManager, seconds: number) =>
      manager.query(
        `UPDATE graphile_worker._private_job_queues SET locked_by = $2, locked_at = now() + make_interval(secs => $3) WHERE queue_name = $1 RETURNING locked_at`,
        ['test:left-resting', RESTING, seconds],
      );
    // As an instance that put the queue's holder back leaves it, before it died (its timer would have ended the rest).
    let restEnds: Date | undefined;
    await t.app.get(DataSource).transaction(async (manager) => {
      await jobs.add(INBOUND_EVENTS_JOB, conversationEvents(mid, 'after the rest'), { queue: 'test:left-resting' }, manager);
      [[{ locked_at: restEnds }]] = await restUntil(manager, 2);
    });
    await new Promise((r) => setTimeout(r, 1200));
    expect(await messageCount(mid)).toBe(0);
    // Another instance's periodic look ends it (about once a second), and the job runs.
    await eventually(() => messageCount(mid), (n) => n === 1, 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(restEnds!.getTime() - 150);
    expect(await jobs.endDueRests()).toBe(0);
  });

  it('adds jobs with new keys in order and quietly, nothing for a key a job has, and lets add_job with the key replace one', async () => {
    const listener = new Client({ connectionString: (t.db as unknown as { options: { connectionString: string } }).options.connectionString });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.channel));
    await listener.query('LISTEN "jobs:insert"');
    const spec = (key: string | null, n: number) => ({ identifier: 'test.keyed', payload: { n }, queue_name: 'test:keyed', run_at: '2100-01-01T00:00:00Z', job_key: key });
    const jobsOf = async () =>
      (await t.db.query(`SELECT key, payload->>'n' AS n, q.queue_name FROM graphile_worker._private_jobs j JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id WHERE q.queue_name = 'test:keyed' ORDER BY j.id`)).rows;
    try {
      const [{ added }] = (await t.db.query(`SELECT add_quiet_jobs_with_new_keys($1::json) AS added`, [JSON.stringify([spec('k:1', 1), spec('k:2', 2)])])).rows;
      expect(added).toBe(2);
      // A key a job already has adds nothing (it is for keys new by construction).
      const [{ again }] = (await t.db.query(`SELECT add_quiet_jobs_with_new_keys($1::json) AS again`, [JSON.stringify([spec('k:2', 3), spec('k:3', 4)])])).rows;
      expect(again).toBe(1);
      expect(await jobsOf()).toEqual([
        { key: 'k:1', n: '1', queue_name: 'test:keyed' },
        { key: 'k:2', n: '2', queue_name: 'test:keyed' },
        { key: 'k:3', n: '4', queue_name: 'test:keyed' },
      ]);
      await expect(t.db.query(`SELECT add_quiet_jobs_with_new_keys($1::json)`, [JSON.stringify([spec(null, 5)])])).rejects.toThrow(/with a key/);
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual([]);
      // A manual retry's add_job with the key replaces the waiting job, as graphile-worker does.
      await t.db.query(`SELECT graphile_worker.add_job('test.keyed', '{"n": 9}'::json, 'test:keyed', '2100-01-01T00:00:00Z', NULL, 'k:1')`);
      expect((await jobsOf()).map((job: { key: string; n: string }) => [job.key, job.n])).toEqual([
        ['k:1', '9'],
        ['k:2', '2'],
        ['k:3', '4'],
      ]);
    } finally {
      await listener.end();
      await t.db.query(`DELETE FROM graphile_worker._private_jobs WHERE key LIKE 'k:%'`);
    }
  });

  it("finds a queue's next due job through an index of available jobs by queue, not by walking every due job", async () => {
    const client = await t.db.connect();
    try {
      await client.query('BEGIN');
      // The table is nearly empty here, where a scan is cheapest: the question is whether the lookup can use an index at all.
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query(
        `EXPLAIN (FORMAT JSON) SELECT id FROM graphile_worker._private_jobs
         WHERE job_queue_id = 1 AND task_id = 1 AND is_available AND run_at <= now() ORDER BY priority, run_at, id LIMIT 1`,
      );
      expect(JSON.stringify(rows[0]['QUERY PLAN'])).toContain('"Index Name":"jobs_by_queue_index"');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
