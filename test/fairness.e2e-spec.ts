import { RESTING } from '../src/jobs/resting-queues';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { messageEvent, webhookOf } from '../src/sandbox/webhook-events';
import { createMessengerCustomer } from './support/factories';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Inbound processing (the inbound queue), sends and media work run apart, and one Page that is
 * rate-limited or slow never holds the send workers other Pages need. Two send workers (so one
 * busy Page could take them all) and two inbound batches make any sharing visible.
 */
describe('fair and isolated workers', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  const orgs: { org: { id: string; apiKey: string }; page: SandboxPage }[] = [];
  let counter = 0;

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox({ SEND_WORKER_CONCURRENCY: '2', WORKER_CONCURRENCY: '2', SEND_MAX_ATTEMPTS: '3' }));
    for (const id of ['931', '932', '933', '934', '935']) {
      const page = sandbox.addPage({ id, name: `Fair Page ${id}` });
      const org = await t.createOrganization(`Fair ${id}`);
      await connectPage(t, sandbox, org.apiKey, page);
      orgs.push({ org, page });
    }
  });
  afterAll(async () => {
    await t?.close();
    await sandbox?.stop();
  });
  beforeEach(() => sandbox.clear());

  async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not in time`);
      await sleep(50);
    }
  }

  /** A contact of the organization on its Page, with a conversation whose 24-hour window is open. */
  async function contact(index: number): Promise<string> {
    const { org, page } = orgs[index];
    const psid = `psid-fair-${++counter}`;
    return createMessengerCustomer(t.db, org.id, page.id, psid);
  }

  async function send(index: number, contactId: string, text: string): Promise<string> {
    const res = await t.request('POST', '/api/messaging/send', { token: orgs[index].org.apiKey, body: { channel: 'facebook_messenger', contactId, text } });
    expect(res.status).toBe(202);
    return res.body.messages[0].id;
  }

  const statuses = async (ids: string[]): Promise<string[]> =>
    (await t.db.query('SELECT status FROM messages WHERE id = ANY($1) ORDER BY array_position($1, id)', [ids])).rows.map((r) => r.status);
  const published = async (ids: string[]) => (await statuses(ids)).filter((s) => s === 'published').length;
  /** Send API calls in arrival order: [Page, text, HTTP status or undefined while unanswered]. */
  const calls = () => sandbox.requests.filter((r) => r.path.endsWith('/messages')).map((r) => [r.pageId, (r.body as any).message?.text, r.status] as const);

  it('processes inbound webhooks while a send backlog is waiting on a slow Graph API', async () => {
    const { page } = orgs[0];
    // Every send of this backlog takes a second at Meta: eight of them are several seconds of work.
    sandbox.failNext(0, { delayMs: 1000, pageId: page.id, path: /\/messages$/, forMs: 60_000 });
    const backlog: string[] = [];
    for (let i = 0; i < 8; i++) backlog.push(await send(0, await contact(0), `backlog ${i}`));
    await until(async () => calls().length > 0, 'the first send of the backlog to reach Meta');

    const mids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const event = messageEvent('messenger', { user: `fair-customer-${i}`, account: page.id }, { text: `inbound ${i}` });
      mids.push((event.message as { mid: string }).mid);
      expect((await sandbox.postWebhook(webhookOf('messenger', page.id, event))).status).toBe(200);
    }
    await until(async () => (await t.db.query('SELECT count(*)::int AS n FROM messages WHERE external_id = ANY($1)', [mids])).rows[0].n === mids.length, 'inbound stored');

    // Every inbound event was applied while most of the backlog still waited for its turn.
    expect(await published(backlog)).toBeLessThanOrEqual(4);
    sandbox.clear();
    await until(async () => (await published(backlog)) === backlog.length, 'the backlog to drain', 60_000);
  });

  it("keeps sending other Pages' messages while one Page answers 613 for a minute", async () => {
    const limited = orgs[1].page;
    const limitedContacts = await Promise.all(Array.from({ length: 6 }, () => contact(1)));
    const otherContacts = await Promise.all(Array.from({ length: 3 }, () => contact(2)));
    sandbox.failNext(0, { code: 613, message: '(#613) Calls to this api have exceeded the rate limit.', pageId: limited.id, path: /\/messages$/, forMs: 60_000 });

    // A backlog for the rate-limited Page is ahead of the other Page's sends in the queue.
    const paused = await Promise.all(limitedContacts.map((id, i) => send(1, id, `limited ${i}`)));
    const others = await Promise.all(otherContacts.map((id, i) => send(2, id, `other ${i}`)));
    await until(async () => (await published(others)) === others.length, "the other Page's sends");

    // Its first call answered 613 and paused it. Its six jobs were first in line: had they slept
    // on the two send workers, all of them would have called Meta before the other Page's first
    // send. Put back instead, the paused Page calls at most about once a second (each 613 pauses
    // it again), so only a call or two of it can come before the other Page's last one.
    const log = calls();
    const lastOther = log.map(([pageId]) => pageId).lastIndexOf(orgs[2].page.id);
    expect(log[0]).toEqual([limited.id, expect.stringMatching(/^limited /), 400]);
    expect(log.slice(0, lastOther + 1).filter(([pageId]) => pageId === limited.id).length).toBeLessThanOrEqual(3);
    expect(await statuses(paused)).not.toContain('published');

    // Its sends put back until after the pause rest in their queues: no fetch of any pool looks at them meanwhile.
    const resting = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM graphile_worker._private_job_queues q JOIN conversations c ON q.queue_name = 'send:' || c.id
           WHERE q.locked_by = $1 AND q.locked_at > now() AND c.contact_id = ANY($2)`,
          [RESTING, limitedContacts],
        )
      ).rows[0].n;
    await until(async () => (await resting()) > 0, "the paused Page's queues to rest");
    // Their other jobs, those sent meanwhile too, are parked behind the holder: none is due before the
    // rest ends (no fetch reads past them for a job it can run), none without its place in the line.
    // (A job still locked is the run that put its holder back, not yet completed.) A first pause is
    // a second long, so on a slow machine the rest seen above may be over by now: then the next
    // refused call rests the queues again, with these behind it, and that is the moment looked at.
    await Promise.all(limitedContacts.map((id, i) => send(1, id, `limited, later ${i}`)));
    const inRestingQueues = await until(async () => {
      const [row] = (
        await t.db.query(
          `SELECT count(*) FILTER (WHERE j.run_at < q.locked_at)::int AS due, count(*) FILTER (WHERE h.job_id IS NULL)::int AS unheld,
                  count(*) FILTER (WHERE h.parked)::int AS parked
           FROM graphile_worker._private_jobs j
           JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id AND q.locked_by = $1
           LEFT JOIN job_queue_holds h ON h.job_id = j.id
           WHERE j.locked_at IS NULL`,
          [RESTING],
        )
      ).rows;
      return row.parked + row.unheld + row.due > 0 && row;
    }, 'jobs waiting in resting queues');
    expect(inRestingQueues).toEqual({ due: 0, unheld: 0, parked: expect.any(Number) });
  });

  it('puts a paced Page\'s sends back for their slot and still sends one contact\'s messages in order', async () => {
    const { page } = orgs[3];
    // One 613 pauses the Page for a second, then paces it ten times slower for a minute.
    sandbox.failNext(1, { code: 613, pageId: page.id, path: /\/messages$/ });
    const first = await send(3, await contact(3), 'pause');
    await until(async () => (await statuses([first]))[0] === 'failed_waiting_for_retry', 'the 613');

    const contactId = await contact(3);
    const ids = [await send(3, contactId, 'one')];
    // Put back until after the pause, its queue rests: the sends that come meanwhile are parked behind it.
    const queueOf = async () =>
      (
        await t.db.query(
          `SELECT q.locked_by, (SELECT count(*)::int FROM graphile_worker._private_jobs j JOIN job_queue_holds h ON h.job_id = j.id AND h.parked WHERE j.job_queue_id = q.id) AS parked
           FROM graphile_worker._private_job_queues q JOIN conversations c ON q.queue_name = 'send:' || c.id WHERE c.contact_id = $1`,
          [contactId],
        )
      ).rows[0];
    await until(async () => (await queueOf())?.locked_by === RESTING, "the paced send's queue to rest");
    ids.push(await send(3, contactId, 'two'), await send(3, contactId, 'three'));
    // While it rests (about 0.7 s more; a slow machine may have seen it end already) both are parked.
    const queue = await queueOf();
    if (queue.locked_by === RESTING) expect(queue.parked).toBe(2);
    await until(async () => (await published(ids)) === ids.length, 'the paced sends');
    const texts = calls()
      .filter(([, text, status]) => status === 200 && ['one', 'two', 'three'].includes(text))
      .map(([, text]) => text);
    expect(texts).toEqual(['one', 'two', 'three']);
  });

  it("sends a paused Page's backlog, each contact's in order, once Meta takes its calls again, and leaves no queue resting", async () => {
    const { page } = orgs[4];
    sandbox.failNext(0, { code: 613, message: '(#613) Calls to this api have exceeded the rate limit.', pageId: page.id, path: /\/messages$/, forMs: 3000 });
    const contacts = await Promise.all(Array.from({ length: 5 }, () => contact(4)));
    const ids: string[] = [];
    // Sent over the pause: some to queues at rest (parked as they come), some as rests end and begin again.
    for (let round = 0; round < 6; round++) {
      for (const [c, contactId] of contacts.entries()) ids.push(await send(4, contactId, `backlog ${c}.${round}`));
      await sleep(400);
    }
    await until(async () => (await published(ids)) === ids.length, 'the backlog', 60_000);

    const delivered = calls().filter(([pageId, , status]) => pageId === page.id && status === 200);
    expect(delivered).toHaveLength(ids.length);
    for (const c of contacts.keys()) {
      const texts = delivered.map(([, text]) => text).filter((text) => text.startsWith(`backlog ${c}.`));
      expect(texts).toEqual(Array.from({ length: 6 }, (_, round) => `backlog ${c}.${round}`));
    }
    const left = await t.db.query(
      `SELECT count(*) FILTER (WHERE q.locked_by = $1)::int AS resting, count(h.job_id)::int AS holds
       FROM graphile_worker._private_job_queues q JOIN conversations c ON q.queue_name = 'send:' || c.id
       LEFT JOIN job_queue_holds h ON h.job_queue_id = q.id WHERE c.contact_id = ANY($2)`,
      [RESTING, contacts],
    );
    expect(left.rows[0] ?? { resting: 0, holds: 0 }).toEqual({ resting: 0, holds: 0 });
  });

  it("does not let a slow Page take the send workers another Page needs", async () => {
    const slow = orgs[0].page;
    sandbox.failNext(0, { delayMs: 3000, pageId: slow.id, path: /\/messages$/, forMs: 60_000 });
    const slowSends: string[] = [];
    for (let i = 0; i < 4; i++) slowSends.push(await send(0, await contact(0), `slow ${i}`));
    await until(async () => calls().length > 0, 'the slow Page to be called');
    const others: string[] = [];
    for (let i = 0; i < 3; i++) others.push(await send(2, await contact(2), `quick ${i}`));
    await until(async () => (await published(others)) === others.length, "the other Page's sends");

    // While the slow Page's first call was still unanswered, the other Page's sends all went out.
    const slowCalls = calls().filter(([pageId]) => pageId === slow.id);
    expect(slowCalls.filter(([, , status]) => status !== undefined)).toEqual([]);
    expect(await published(slowSends)).toBe(0);
    sandbox.clear();
    await until(async () => (await published(slowSends)) === slowSends.length, 'the slow sends', 60_000);
  });
});
