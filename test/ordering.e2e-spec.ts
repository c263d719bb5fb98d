import { inboundLaneOf } from '../src/mods/meta/mappers/webhook-delivery';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { editEvent, messageEvent, newMid, reactionEvent, unsendEvent, webhookOf } from '../src/sandbox/webhook-events';
import { createMessengerCustomer } from './support/factories';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ordering under failure', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let org: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    // Two tries per send: the first retry comes after e¹ ≈ 2.7 s, the last attempt fails for good.
    ({ t, sandbox, page, org } = await startWithConnectedPage({ id: '811', name: 'Order Page' }, 'Order', { SEND_MAX_ATTEMPTS: '2' }));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));
  beforeEach(() => sandbox.clear());

  async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(50);
    }
  }

  const statusOf = async (id: string): Promise<string> => (await t.db.query('SELECT status FROM messages WHERE id = $1', [id])).rows[0].status;

  describe('sends to one contact', () => {
    let counter = 0;
    const contact = () => createMessengerCustomer(t.db, org.id, page.id, `psid-order-${++counter}`);
    const send = async (contactId: string, text: string): Promise<string> => {
      const res = await t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId, text } });
      expect(res.status).toBe(202);
      return res.body.messages[0].id;
    };
    const texts = () => sandbox.requests.filter((r) => r.path.endsWith('/messages')).map((r) => [(r.body as any).message.text, r.status]);

    /** A first send that fails once (its retry comes after about 2.7 s), and two more to the same contact behind it. */
    async function threeBehindARetry() {
      const contactId = await contact();
      sandbox.failNext(1, { code: 2, httpStatus: 503, path: /\/messages$/ });
      const first = await send(contactId, 'first');
      await until(async () => (await statusOf(first)) === 'failed_waiting_for_retry');
      return { first, second: await send(contactId, 'second'), third: await send(contactId, 'third') };
    }
    const sentInOrder = [
      ['first', 503],
      ['first', 200],
      ['second', 200],
      ['third', 200],
    ];

    it('holds a later send while an earlier one waits for its retry, then sends both in order', async () => {
      const { first, second, third } = await threeBehindARetry();

      // Until the first is published, nothing after it reaches Meta or leaves `pending`.
      await until(async () => {
        const statuses = [await statusOf(first), await statusOf(second), await statusOf(third)];
        if (statuses[0] !== 'published') {
          expect(statuses.slice(1)).toEqual(['pending', 'pending']);
          expect(texts().every(([text]) => text === 'first')).toBe(true);
        }
        return statuses[2] === 'published';
      });
      expect(texts()).toEqual(sentInOrder);
      expect(await statusOf(first)).toBe('published');
      expect(await statusOf(second)).toBe('published');
    });

    /** The jobs of the contact's send queue that wait (not running), with the first message each sends. */
    async function waitingJobs(first: string) {
      const [{ conversation_id: conversationId }] = (await t.db.query('SELECT conversation_id FROM messages WHERE id = $1', [first])).rows;
      return (
        await t.db.query(
          `SELECT j.id, j.run_at, j.payload->'messageIds'->>0 AS message_id, h.parked FROM graphile_worker._private_jobs j
           JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
           LEFT JOIN job_queue_holds h ON h.job_id = j.id
           WHERE q.queue_name = $1 AND j.locked_at IS NULL`,
          [`send:${conversationId}`],
        )
      ).rows as { id: string; run_at: Date; message_id: string; parked: boolean | null }[];
    }
    const parkedBehind = async (first: string, ...ids: string[]) =>
      until(async () => {
        const rows = await waitingJobs(first);
        return ids.every((id) => rows.some((r) => r.message_id === id && r.parked)) ? rows : undefined;
      });

    it('parks the sends waiting behind a retry until it is done, then sends them at once', async () => {
      const { first, second, third } = await threeBehindARetry();

      // Parked: not due when the retry is, but a good while after it; the retry's success wakes them.
      const jobs = await parkedBehind(first, second, third);
      const retryAt = jobs.find((r) => r.message_id === first)!.run_at.getTime();
      for (const id of [second, third]) expect(jobs.find((r) => r.message_id === id)!.run_at.getTime()).toBeGreaterThan(retryAt + 30_000);

      await until(async () => (await statusOf(third)) === 'published', 15_000);
      expect(texts()).toEqual(sentInOrder);
      const at = (text: string) => sandbox.requests.find((r) => r.path.endsWith('/messages') && (r.body as any).message.text === text && r.status === 200)!.at;
      expect(at('third') - at('first')).toBeLessThan(5_000);
    });

    it('sends the ones waiting behind a retry in order, whichever of them the queue hands out first', async () => {
      const { first, second, third } = await threeBehindARetry();

      const jobs = await parkedBehind(first, second, third);
      // graphile-worker picks a queue's next job by run_at alone: let it hand out the third first,
      // right after the retry, and the second after it.
      const retryAt = jobs.find((r) => r.message_id === first)!.run_at.getTime();
      for (const [messageId, offsetMs] of [[third, 1], [second, 2]] as const) {
        await t.db.query('UPDATE graphile_worker._private_jobs SET run_at = $2 WHERE id = $1', [jobs.find((r) => r.message_id === messageId)!.id, new Date(retryAt + offsetMs)]);
      }

      await until(async () => (await statusOf(third)) === 'published' && (await statusOf(second)) === 'published', 30_000);
      expect(texts()).toEqual(sentInOrder);
    });

    it('lets a later send go once the earlier one failed for good', async () => {
      const contactId = await contact();
      sandbox.failNext(2, { code: 2, httpStatus: 503, path: /\/messages$/ });

      const first = await send(contactId, 'doomed');
      await until(async () => (await statusOf(first)) === 'failed_waiting_for_retry');
      const second = await send(contactId, 'survivor');

      await until(async () => (await statusOf(second)) === 'published');
      expect(await statusOf(first)).toBe('failed');
      expect(texts()).toEqual([
        ['doomed', 503],
        ['doomed', 503],
        ['survivor', 200],
      ]);
    });

    it("does not hold another contact's sends", async () => {
      const held = await contact();
      const free = await contact();
      sandbox.failNext(1, { code: 2, httpStatus: 503, path: /\/messages$/ });
      const first = await send(held, 'held');
      await until(async () => (await statusOf(first)) === 'failed_waiting_for_retry');

      const other = await send(free, 'free');

      await until(async () => (await statusOf(other)) === 'published' && (await statusOf(first)) === 'published');
      // The other contact's send went while the first waited for its retry.
      expect(texts()).toEqual([
        ['held', 503],
        ['free', 200],
        ['held', 200],
      ]);
    });
  });

  describe("a conversation's inbound events", () => {
    const parties = (user: string) => ({ account: page.id, user });
    const post = async (user: string, ...events: object[]) => expect((await sandbox.postWebhook(webhookOf('messenger', page.id, ...(events as any)))).status).toBe(200);
    const stored = async (mid: string) => (await t.db.query('SELECT * FROM messages WHERE external_id = $1', [mid])).rows[0];

    it('apply in the order Meta sent them while an earlier delivery fails and is retried', async () => {
      // A database fault that refuses this one message until it is lifted.
      await t.db.query(`ALTER TABLE messages ADD CONSTRAINT test_fault_poison CHECK (text IS DISTINCT FROM 'poison')`);
      const user = 'user-order-1';
      const [poison, after, edit] = [newMid('messenger'), newMid('messenger'), newMid('messenger')];
      const now = Date.now();
      try {
        await post(user, messageEvent('messenger', parties(user), { mid: poison, text: 'poison', timestamp: now }));
        await until(async () => (await t.db.query(`SELECT 1 FROM inbound_queue WHERE lane = $1 AND attempts > 0 AND last_error IS NOT NULL`, [inboundLaneOf(`${page.id}:${user}`)])).rows[0]);
        await post(user, messageEvent('messenger', parties(user), { mid: after, text: 'after', timestamp: now + 1 }));
        await post(user, messageEvent('messenger', parties(user), { mid: edit, text: 'draft', timestamp: now + 2 }), editEvent(parties(user), { mid: edit, text: 'final', numEdit: 1, timestamp: now + 3 }));

        await sleep(1000);
        expect(await stored(after)).toBeUndefined();
        expect(await stored(edit)).toBeUndefined();
      } finally {
        await t.db.query(`ALTER TABLE messages DROP CONSTRAINT test_fault_poison`);
      }

      // The edit applies in a transaction of its own, right after its message.
      const last = await until(async () => {
        const row = await stored(edit);
        return row?.edit_count === 1 && row;
      });
      const rows = (await t.db.query(`SELECT external_id, text FROM messages WHERE external_id = ANY($1) ORDER BY created_at, id`, [[poison, after, edit]])).rows;
      expect(rows).toEqual([
        { external_id: poison, text: 'poison' },
        { external_id: after, text: 'after' },
        { external_id: edit, text: 'final' },
      ]);
      expect(last.edit_count).toBe(1);
      const { rows: holds } = await t.db.query('SELECT count(*)::int AS n FROM job_queue_holds');
      expect(holds[0].n).toBe(0);
    });

    it('apply a backlog of deliveries together, in few transactions, in the order Meta sent them', async () => {
      const user = 'user-backlog';
      const mids = Array.from({ length: 20 }, () => newMid('messenger'));
      const now = Date.now();
      // The first delivery's job waits on the table while the other 19 queue up behind it.
      const blocker = await t.db.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE messages IN EXCLUSIVE MODE');
      try {
        for (const [i, mid] of mids.entries()) await post(user, messageEvent('messenger', parties(user), { mid, text: `m${i}`, timestamp: now + i }));
      } finally {
        await blocker.query('COMMIT');
        blocker.release();
      }
      const rows = await until(async () => {
        const { rows } = await t.db.query(`SELECT external_id, xmin::text AS tx FROM messages WHERE external_id = ANY($1) ORDER BY created_at, sent_at`, [mids]);
        return rows.length === mids.length && rows;
      });
      expect(rows.map((row: { external_id: string }) => row.external_id)).toEqual(mids);
      // The jobs behind the first were applied by the next one, in one transaction.
      expect(new Set(rows.map((row: { tx: string }) => row.tx)).size).toBeLessThanOrEqual(2);
      const { rows: unread } = await t.db.query(
        `SELECT c.unread_count FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE m.external_id = $1`,
        [mids[0]],
      );
      expect(unread).toEqual([{ unread_count: 20 }]);
    });

    it('apply the jobs before a failing one in a backlog, and hold the ones after it until its retry succeeds', async () => {
      const user = 'user-backlog-poison';
      const [first, poison, after] = [newMid('messenger'), newMid('messenger'), newMid('messenger')];
      const now = Date.now();
      await t.db.query(`ALTER TABLE messages ADD CONSTRAINT test_fault_poison_backlog CHECK (text IS DISTINCT FROM 'poison in a backlog')`);
      try {
        const blocker = await t.db.connect();
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE messages IN EXCLUSIVE MODE');
        try {
          await post(user, messageEvent('messenger', parties(user), { mid: first, text: 'first', timestamp: now }));
          await post(user, messageEvent('messenger', parties(user), { mid: poison, text: 'poison in a backlog', timestamp: now + 1 }));
          await post(user, messageEvent('messenger', parties(user), { mid: after, text: 'after', timestamp: now + 2 }));
        } finally {
          await blocker.query('COMMIT');
          blocker.release();
        }
        await until(async () => (await t.db.query(`SELECT 1 FROM inbound_queue WHERE lane = $1 AND attempts > 0 AND last_error IS NOT NULL`, [inboundLaneOf(`${page.id}:${user}`)])).rows[0]);
        await until(() => stored(first));
        await sleep(500);
        expect(await stored(after)).toBeUndefined();
      } finally {
        await t.db.query(`ALTER TABLE messages DROP CONSTRAINT test_fault_poison_backlog`);
      }
      await until(() => stored(after));
      const rows = (await t.db.query(`SELECT external_id FROM messages WHERE external_id = ANY($1) ORDER BY created_at, id`, [[first, poison, after]])).rows;
      expect(rows.map((row: { external_id: string }) => row.external_id)).toEqual([first, poison, after]);
    });

    it('hold an edit, a reaction and an unsend that come before their message, and apply them when it arrives', async () => {
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);
      const user = 'user-order-2';
      const [edited, gone] = [newMid('messenger'), newMid('messenger')];
      const now = Date.now();

      await post(user, editEvent(parties(user), { mid: edited, text: 'Sorry, I meant blue', numEdit: 1, timestamp: now + 5 }), reactionEvent(parties(user), { mid: edited, reaction: 'love', timestamp: now + 6 }));
      await post(user, unsendEvent(parties(user), { mid: gone, timestamp: now + 7 }));
      await until(async () => (await t.db.query('SELECT count(*)::int AS n FROM held_message_changes')).rows[0].n === 3);

      await post(user, messageEvent('messenger', parties(user), { mid: edited, text: 'I want red', timestamp: now }), messageEvent('messenger', parties(user), { mid: gone, text: 'oops', timestamp: now + 1 }));

      const message = await until(async () => {
        const row = await stored(edited);
        return row?.edit_count === 1 && row;
      });
      expect(message).toMatchObject({ text: 'Sorry, I meant blue', edit_count: 1, reactions: [{ by: 'contact', reaction: 'love', emoji: '\u2764\ufe0f' }], metadata: { originalText: 'I want red' } });
      const unsent = await until(() => stored(gone));
      expect(unsent).toMatchObject({ text: null, deleted_at: expect.any(Date) });
      expect((await t.db.query('SELECT count(*)::int AS n FROM held_message_changes')).rows[0].n).toBe(0);
      // The inbox learns of the message as it now is.
      await expect(socket.waitFor('message.created', (m) => m.externalId === edited)).resolves.toMatchObject({ text: 'Sorry, I meant blue', editCount: 1, reactions: [{ by: 'contact', reaction: 'love' }] });
      await expect(socket.waitFor('message.created', (m) => m.externalId === gone)).resolves.toMatchObject({ text: null, deletedAt: expect.any(String) });
    });

    it('apply a change to a stored message at once and hold nothing', async () => {
      const user = 'user-order-3';
      const mid = newMid('messenger');
      await post(user, messageEvent('messenger', parties(user), { mid, text: 'hello' }));
      await until(() => stored(mid));
      await post(user, reactionEvent(parties(user), { mid, reaction: 'like', emoji: '👍' }));
      const reacted = await until(async () => {
        const row = await stored(mid);
        return row.reactions.length > 0 && row;
      });
      expect(reacted.reactions).toEqual([{ by: 'contact', reaction: 'like', emoji: '👍' }]);
      expect((await t.db.query('SELECT count(*)::int AS n FROM held_message_changes')).rows[0].n).toBe(0);
    });
  });
});
