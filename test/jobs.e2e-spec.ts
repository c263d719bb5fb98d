import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { JobQueue } from '../src/jobs/job-queue.service';
import { parkLateJobs, RESTING } from '../src/jobs/resting-queues';
import { DELETE_FILES_JOB } from '../src/storage/delete-files.job';
import { TestApp } from './support/test-app';
import { eventually } from './support/eventually';

/** The job queue's machinery, with the file deletion job (of no files) as the job that runs. */
describe('durable jobs', () => {
  let t: TestApp;

  const jobExists = async (id: string) => (await t.db.query(`SELECT 1 FROM graphile_worker._private_jobs WHERE id = $1`, [id])).rows.length > 0;
  const queuedJobs = async (queue: string) =>
    (await t.db.query(`SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id WHERE q.queue_name = $1`, [queue])).rows[0].n;
  const deletion = { storageKeys: [] };

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('runs a job added inside a transaction after the commit, and never one whose transaction rolled back', async () => {
    const jobs = t.app.get(JobQueue);
    const dataSource = t.app.get(DataSource);

    await expect(
      dataSource.transaction(async (manager) => {
        await jobs.add(DELETE_FILES_JOB, { storageKeys: [] }, { queue: 'test:rolled-back' }, manager);
        throw new Error('abort the transaction');
      }),
    ).rejects.toThrow('abort the transaction');

    let added: string | undefined;
    // Due a moment after the commit, so the check right after it cannot race the job's run.
    await dataSource.transaction(async (manager) => {
      await jobs.add(DELETE_FILES_JOB, { storageKeys: [] }, { queue: 'test:committed', runAt: new Date(Date.now() + 1500) }, manager);
      [{ id: added }] = await manager.query(`SELECT j.id::text AS id FROM graphile_worker._private_jobs j JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id WHERE q.queue_name = 'test:committed'`);
      // Not before the commit: no worker can see the job yet.
      await new Promise((r) => setTimeout(r, 300));
      expect(await jobExists(added!)).toBe(false);
    });
    expect(await jobExists(added!)).toBe(true);

    await eventually(() => jobExists(added!), (exists) => !exists);
    expect(await queuedJobs('test:rolled-back')).toBe(0);
  });

  describe('named queues left without jobs', () => {
    const queueRow = async (name: string) => (await t.db.query(`SELECT id, locked_at FROM graphile_worker._private_job_queues WHERE queue_name = $1`, [name])).rows[0];

    it('lose their rows, while queues with a job waiting keep theirs', async () => {
      const jobs = t.app.get(JobQueue);
      await jobs.add(DELETE_FILES_JOB, deletion, { queue: 'test:idle-done' });
      await jobs.add(DELETE_FILES_JOB, deletion, { queue: 'test:idle-waiting', runAt: new Date(Date.now() + 3600_000) });
      await eventually(() => queuedJobs('test:idle-done'), (n) => n === 0);
      // Unlocked once its job is done, if the service's own periodic deletion has not taken it already.
      await eventually(() => queueRow('test:idle-done'), (row) => row === undefined || row.locked_at === null);

      await jobs.deleteIdleQueues();
      expect(await queueRow('test:idle-done')).toBeUndefined();
      expect(await queueRow('test:idle-waiting')).toBeDefined();
      await t.db.query(`DELETE FROM graphile_worker._private_jobs WHERE job_queue_id = $1`, [(await queueRow('test:idle-waiting')).id]);
    });

    it('are not deleted under a job being added to them, which then runs in its queue', async () => {
      const jobs = t.app.get(JobQueue);
      await jobs.add(DELETE_FILES_JOB, deletion, { queue: 'test:idle-race' });
      // The queue is idle now; the service's own periodic deletion may take its row at any moment.
      await eventually(() => queuedJobs('test:idle-race'), (n) => n === 0);
      await t.app.get(DataSource).transaction(async (manager) => {
        await jobs.add(DELETE_FILES_JOB, { storageKeys: ['raced'] }, { queue: 'test:idle-race' }, manager);
        // The adding transaction holds the queue-rows lock shared: the deletion gives up instead.
        expect(await jobs.deleteIdleQueues()).toBe(0);
        const queued = await manager.query(
          `SELECT q.queue_name FROM graphile_worker._private_jobs j JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id WHERE j.payload::text LIKE '%raced%'`,
        );
        expect(queued).toEqual([{ queue_name: 'test:idle-race' }]);
      });
      // A job whose queue row was deleted under it would never be fetched.
      await eventually(() => queuedJobs('test:idle-race'), (n) => n === 0);
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
      await jobs.add(DELETE_FILES_JOB, deletion, { queue: 'test:found', runAt: new Date(Date.now() + 3600_000) });
      const found = await queueRow('test:found');
      await t.app.get(DataSource).transaction(async (manager) => {
        await jobs.add(DELETE_FILES_JOB, deletion, { queue: 'test:found', runAt: new Date(Date.now() + 3600_000) }, manager);
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
    const restUntil = async (manager: EntityManager, seconds: number) =>
      manager.query(
        `UPDATE graphile_worker._private_job_queues SET locked_by = $2, locked_at = now() + make_interval(secs => $3) WHERE queue_name = $1 RETURNING locked_at`,
        ['test:left-resting', RESTING, seconds],
      );
    // As an instance that put the queue's holder back leaves it, before it died (its timer would have ended the rest).
    let restEnds: Date | undefined;
    await t.app.get(DataSource).transaction(async (manager) => {
      await jobs.add(DELETE_FILES_JOB, deletion, { queue: 'test:left-resting' }, manager);
      [[{ locked_at: restEnds }]] = await restUntil(manager, 2);
    });
    await new Promise((r) => setTimeout(r, 1200));
    expect(await queuedJobs('test:left-resting')).toBe(1);
    // Another instance's periodic look ends it (about once a second), and the job runs.
    await eventually(() => queuedJobs('test:left-resting'), (n) => n === 0, 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(restEnds!.getTime() - 150);
    expect(await jobs.endDueRests()).toBe(0);
  });

  it('parks a job whose insert began before its queue started to rest, once that insert commits', async () => {
    const jobs = t.app.get(JobQueue);
    // The queue's row exists, and nobody holds it (the service's periodic deletion may take it: then it is made again).
    const queueId = async () => {
      await jobs.add(DELETE_FILES_JOB, deletion, { queue: 'test:rest-race', runAt: new Date(Date.now() + 3600_000) });
      return (await t.db.query(`SELECT id FROM graphile_worker._private_job_queues WHERE queue_name = 'test:rest-race'`)).rows[0].id as number;
    };
    const id = await queueId();
    const adding = await t.db.connect();
    try {
      // An insert that found the queue not resting, still open when the rest commits.
      await adding.query('BEGIN');
      const [{ id: late }] = (
        await adding.query(`SELECT id::text FROM graphile_worker.add_job($1, '{"storageKeys": []}'::json, queue_name => 'test:rest-race')`, [DELETE_FILES_JOB])
      ).rows;
      await t.db.query(`UPDATE graphile_worker._private_job_queues SET locked_by = $2, locked_at = now() + interval '1 hour' WHERE id = $1`, [id, RESTING]);
      let parked = false;
      const parking = parkLateJobs(t.db, id).then(() => (parked = true));
      await new Promise((r) => setTimeout(r, 300));
      // It waits for the insert, which it could not see yet.
      expect(parked).toBe(false);
      await adding.query('COMMIT');
      await parking;
      const { rows } = await t.db.query(
        `SELECT j.run_at > q.locked_at AS after_rest, h.parked FROM graphile_worker._private_jobs j
         JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id LEFT JOIN job_queue_holds h ON h.job_id = j.id WHERE j.id = $1`,
        [late],
      );
      expect(rows).toEqual([{ after_rest: true, parked: true }]);
    } finally {
      adding.release();
      await t.db.query(`DELETE FROM graphile_worker._private_jobs WHERE job_queue_id = $1`, [id]);
      await t.db.query(`UPDATE graphile_worker._private_job_queues SET locked_by = NULL, locked_at = NULL WHERE id = $1`, [id]);
    }
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
