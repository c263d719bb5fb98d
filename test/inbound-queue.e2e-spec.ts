import type { QueryRunner } from 'typeorm';
import { InboundQueue1795700700000 } from '../src/database/migrations/1795700700000-InboundQueue';
import { inboundLaneOf } from '../src/mods/meta/mappers/webhook-delivery';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { feedCommentChange, messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { metricSample } from './support/metrics';
import { ADMIN_TOKEN, TestApp } from './support/test-app';

/** Inbound work as rows of `inbound_queue`: retries, lanes held in order, rows set aside, the upgrade from jobs. */
describe('the inbound queue', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;

  beforeAll(async () => {
    ({ t, sandbox, page } = await startWithConnectedPage({ id: '813', name: 'Queue Page' }, 'Queue', { WORKER_CONCURRENCY: '2' }));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }));

  const post = async (user: string, mid: string, text: string) =>
    expect((await sandbox.postWebhook(webhookOf('messenger', page.id, messageEvent('messenger', { account: page.id, user }, { mid, text })))).status).toBe(200);
  const stored = async (mid: string) => (await t.db.query(`SELECT text, xmin::text AS tx FROM messages WHERE external_id = $1`, [mid])).rows[0];
  const laneRows = async (user: string) =>
    (await t.db.query(`SELECT attempts, last_error, dead, next_attempt_at, created_at FROM inbound_queue WHERE lane = $1 ORDER BY id`, [inboundLaneOf(`${page.id}:${user}`)])).rows;

  it('retries a failing row with backoff until it succeeds, and the rows behind it wait for it', async () => {
    // A fault in the database: inserting this text fails until the constraint goes.
    await t.db.query(`ALTER TABLE messages ADD CONSTRAINT test_fault CHECK (text IS DISTINCT FROM 'fails once')`);
    const [failing, behind] = [newMid('messenger'), newMid('messenger')];
    try {
      await post('psid-retry', failing, 'fails once');
      const [failed] = await eventually(() => laneRows('psid-retry'), (rows) => rows[0]?.attempts === 1);
      await post('psid-retry', behind, 'behind it');
      expect(failed.last_error).toContain('test_fault');
      expect(failed.dead).toBe(false);
      // Backoff: exp(1) ≈ 2.7 s after the failure.
      expect(failed.next_attempt_at.getTime() - Date.now()).toBeGreaterThan(1500);
      await new Promise((r) => setTimeout(r, 500));
      expect(await stored(behind)).toBeUndefined();
    } finally {
      await t.db.query(`ALTER TABLE messages DROP CONSTRAINT test_fault`);
    }
    await eventually(() => stored(behind), (row) => row !== undefined, 15000);
    const [first, second] = [await stored(failing), await stored(behind)];
    expect(first.text).toBe('fails once');
    expect(BigInt(second.tx)).toBeGreaterThanOrEqual(BigInt(first.tx));
    expect(await laneRows('psid-retry')).toEqual([]);
  });

  it('sets a row aside once it is out of attempts (counted as failed), and its lane goes on', async () => {
    // A row no organization can be routed by, with one attempt, ahead of a good delivery in the same lane.
    const lane = inboundLaneOf(`${page.id}:psid-aside`);
    await t.db.query(`INSERT INTO inbound_queue (kind, lane, payload, max_attempts) VALUES ('meta.inbound.events', $1, $2, 1)`, [
      lane,
      JSON.stringify({ channel: 'facebook_messenger', receivedAt: Date.now(), events: [] }),
    ]);
    const mid = newMid('messenger');
    await post('psid-aside', mid, 'after the broken one');
    await eventually(() => stored(mid), (row) => row !== undefined);
    const [aside] = await laneRows('psid-aside');
    expect(aside).toMatchObject({ attempts: 1, dead: true });
    expect(aside.last_error).toContain('without an account id');
    const metrics = await (await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(metricSample(metrics, 'meta_inbox_jobs_failed{kind="meta.inbound.events"}')).toBe(1);
    expect(metricSample(metrics, 'meta_inbox_jobs_waiting{kind="meta.inbound.comments"}')).toBe(0);
    await t.db.query(`DELETE FROM inbound_queue WHERE lane = $1`, [lane]);
  });

  it("keeps a lane's later rows behind the row another batch is applying, and applies other lanes meanwhile", async () => {
    // Storing this text takes 2 s: the batch that claimed it holds its row meanwhile.
    await t.db.query(`
      CREATE FUNCTION slow_message() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.text = 'slow to store' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$;
      CREATE TRIGGER slow_message BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow_message();`);
    try {
      const [slow, after, beside] = [newMid('messenger'), newMid('messenger'), newMid('messenger')];
      await post('psid-held', slow, 'slow to store');
      await eventually(
        async () => (await t.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`)).rows[0].n,
        (n) => n > 0,
      );
      await post('psid-held', after, 'after the slow one');
      await post('psid-beside', beside, 'in another lane');
      // The other batch applies the other lane while the first still holds its row.
      await eventually(() => stored(beside), (row) => row !== undefined);
      expect(await stored(slow)).toBeUndefined();
      expect(await stored(after)).toBeUndefined();
      await eventually(() => stored(after), (row) => row !== undefined);
      expect(BigInt((await stored(after)).tx)).toBeGreaterThan(BigInt((await stored(slow)).tx));
    } finally {
      await t.db.query(`DROP TRIGGER slow_message ON messages; DROP FUNCTION slow_message()`);
    }
  });

  it('upgrades from inbound jobs: each becomes a row in its conversation or post lane, in order, with its attempts, error and retry time', async () => {
    const client = await t.db.connect();
    try {
      await client.query('BEGIN');
      const runner = { query: (sql: string) => client.query(sql) } as unknown as QueryRunner;
      await new InboundQueue1795700700000().down(runner);
      // What an earlier version left: a conversation's failed job, put back (a newer job id, its
      // place kept in its payload) after the job parked behind it, and a post's comment changes.
      const event = (mid: string) => ({ event: messageEvent('messenger', { account: page.id, user: 'psid-upgrade' }, { mid, text: mid }), standby: false });
      const events = (mid: string, extra: object = {}) => JSON.stringify({ channel: 'facebook_messenger', accountId: page.id, receivedAt: 1, events: [event(mid)], ...extra });
      const add = async (kind: string, payload: string, queue: string, extra = '') =>
        (await client.query(`SELECT id::text FROM graphile_worker.add_job($1, $2::json, queue_name => $3${extra})`, [kind, payload, queue])).rows[0].id as string;
      // Parked: to look again a minute after the holder's retry, unless its release woke it first.
      await add('meta.inbound.events', events('m-parked', { orderSeq: '200' }), 'meta:inbound:7', `, run_at => now() + interval '1 hour 1 minute'`);
      const failed = await add('meta.inbound.events', events('m-first', { orderSeq: '100' }), 'meta:inbound:7', `, run_at => now() + interval '1 hour'`);
      await client.query(`UPDATE graphile_worker._private_jobs SET attempts = 3, last_error = 'earlier failure' WHERE id = $1`, [failed]);
      const change = feedCommentChange({ pageId: page.id, postId: `${page.id}_55`, commentId: `${page.id}_55_1`, from: { id: 'psid-upgrade' }, message: 'hello', verb: 'add', createdTime: 1 });
      await add('meta.inbound.comments', JSON.stringify({ channel: 'facebook_messenger', accountId: page.id, receivedAt: 1, changes: [{ change, entryTime: 1 }] }), 'meta:comments:3');

      await new InboundQueue1795700700000().up(runner);
      const { rows } = await client.query(
        `SELECT kind, lane, payload->'events'->0->'event'->'message'->>'mid' AS mid, payload::jsonb ? 'orderSeq' AS seq, attempts, last_error, next_attempt_at > now() AS waiting
         FROM inbound_queue ORDER BY id`,
      );
      expect(rows).toEqual([
        { kind: 'meta.inbound.events', lane: inboundLaneOf(`${page.id}:psid-upgrade`), mid: 'm-first', seq: false, attempts: 3, last_error: 'earlier failure', waiting: true },
        { kind: 'meta.inbound.events', lane: inboundLaneOf(`${page.id}:psid-upgrade`), mid: 'm-parked', seq: false, attempts: 0, last_error: null, waiting: false },
        { kind: 'meta.inbound.comments', lane: `meta:comments:${page.id}:${page.id}_55`, mid: null, seq: false, attempts: 0, last_error: null, waiting: false },
      ]);
      const { rows: left } = await client.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier LIKE 'meta.inbound.%'`);
      expect(left[0].n).toBe(0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
