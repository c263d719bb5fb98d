import { Client } from 'pg';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { eventually } from './support/eventually';
import { createMessengerCustomer } from './support/factories';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How the send workers take their jobs: a worker that takes a send also takes the sends next in
 * line of other conversations and runs them alongside it, each still in its own contact's order
 * and completed, failed or retried on its own; and a send is queued without waking the other
 * worker pools. One send worker makes the taking together visible: sends that reach Meta at the
 * same moment were run by that one worker at once.
 */
describe('send workers', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  /**
   * Organizations with a Page each: a worker runs at most half the send workers' calls for one
   * Page at once (here one), so sends run together are to different Pages.
   */
  const tenants: { org: { id: string; apiKey: string }; page: SandboxPage }[] = [];
  let counter = 0;

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox({ SEND_WORKER_CONCURRENCY: '1', SEND_MAX_ATTEMPTS: '2' }));
    for (const id of ['871', '872', '873', '874', '875']) {
      const page = sandbox.addPage({ id, name: `Workers Page ${id}` });
      const org = await t.createOrganization(`Workers ${id}`);
      await connectPage(t, sandbox, org.apiKey, page);
      tenants.push({ org, page });
    }
  });
  afterAll(async () => {
    await t?.close();
    await sandbox?.stop();
  });
  beforeEach(() => sandbox.clear());

  const until = <T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000) => eventually(probe, Boolean, timeoutMs) as Promise<T>;

  /** A contact of the `tenant`th organization, on its Page. */
  async function contact(tenant: number): Promise<{ tenant: number; contactId: string }> {
    return { tenant, contactId: await createMessengerCustomer(t.db, tenants[tenant].org.id, tenants[tenant].page.id, `psid-workers-${++counter}`) };
  }
  const send = async ({ tenant, contactId }: { tenant: number; contactId: string }, text: string): Promise<string> => {
    const res = await t.request('POST', '/api/messaging/send', { token: tenants[tenant].org.apiKey, body: { channel: 'facebook_messenger', contactId, text } });
    expect(res.status).toBe(202);
    return res.body.messages[0].id;
  };
  const statusOf = async (id: string): Promise<string> => (await t.db.query('SELECT status FROM messages WHERE id = $1', [id])).rows[0].status;
  const calls = (text: string) => sandbox.requests.filter((r) => r.path.endsWith('/messages') && (r.body as any).message.text === text);
  const lockedJobsAndQueues = async () =>
    (
      await t.db.query(
        `SELECT (SELECT count(*) FROM graphile_worker._private_jobs WHERE locked_at IS NOT NULL)::int AS jobs,
                (SELECT count(*) FROM graphile_worker._private_job_queues WHERE locked_at IS NOT NULL)::int AS queues`,
      )
    ).rows[0];

  /** The only send worker is busy with a slow first send while the others queue up behind it. */
  async function behindASlowSend(): Promise<string> {
    sandbox.failNext(1, { delayMs: 1500, path: /\/messages$/ });
    const slow = await send(await contact(0), 'slow');
    await until(async () => calls('slow').length === 1);
    return slow;
  }

  it('runs the sends queued for other contacts together on one worker, each contact still in order', async () => {
    const slow = await behindASlowSend();
    // Each of the queued sends takes 400 ms at Meta: one after the other they would arrive 400 ms apart.
    sandbox.failNext(5, { delayMs: 400, path: /\/messages$/ });
    const [a, b, c, d] = [await contact(1), await contact(2), await contact(3), await contact(4)];
    const ids = [await send(a, 'a1'), await send(b, 'b1'), await send(c, 'c1'), await send(d, 'd1'), await send(a, 'a2')];

    await until(async () => (await Promise.all([slow, ...ids].map(statusOf))).every((status) => status === 'published'));
    // The first send of each contact (one was the job the worker took, the others alongside it) went at once.
    const arrivals = ['a1', 'b1', 'c1', 'd1'].map((text) => calls(text)[0].at);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(300);
    // The contact's second send waited for its first, and went as soon as its queue was free
    // (not at the worker's next poll, a second later).
    expect(calls('a2')[0].at).toBeGreaterThanOrEqual(calls('a1')[0].at + 400);
    expect(calls('a2')[0].at).toBeLessThan(calls('a1')[0].at + 1000);
    // Every job is done and no queue is left locked.
    await until(async () => (await t.db.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')).rows[0].n === 0);
    expect(await lockedJobsAndQueues()).toEqual({ jobs: 0, queues: 0 });
  });

  it('retries a send run alongside others on its own, and holds only its contact behind it', async () => {
    await behindASlowSend();
    const failing = await contact(2);
    const other = await contact(1);
    sandbox.failNext(1, { code: 2, httpStatus: 503, path: /\/messages$/, pageId: tenants[2].page.id });
    // The worker takes the first queued send and the other Page's alongside it; that one fails.
    const first = await send(other, 'first');
    const alongside = await send(failing, 'alongside');
    await until(async () => (await statusOf(alongside)) === 'failed_waiting_for_retry');
    const later = await send(failing, 'later');

    // The later send to that contact waits for the retry (about 2.7 s); the other contact's is not held.
    await sleep(500);
    expect(await statusOf(later)).toBe('pending');
    expect(await statusOf(first)).toBe('published');
    await until(async () => (await statusOf(later)) === 'published');
    expect(await statusOf(alongside)).toBe('published');
    const order = sandbox.requests.filter((r) => r.path.endsWith('/messages') && r.pageId === tenants[2].page.id).map((r) => [(r.body as any).message.text, r.status]);
    expect(order).toEqual([
      ['alongside', 503],
      ['alongside', 200],
      ['later', 200],
    ]);
    expect(Math.abs(calls('alongside')[0].at - calls('first')[0].at)).toBeLessThan(300);
    await until(async () => (await t.db.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')).rows[0].n === 0);
    expect(await lockedJobsAndQueues()).toEqual({ jobs: 0, queues: 0 });
  });

  it('queues a send without telling the other worker pools of it', async () => {
    const listener = new Client({ connectionString: (t.db as unknown as { options: { connectionString: string } }).options.connectionString });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.payload ?? ''));
    await listener.query('LISTEN "jobs:insert"');
    try {
      const id = await send(await contact(1), 'quiet');
      await until(async () => (await statusOf(id)) === 'published');
      await sleep(200);
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
    }
  });
});
