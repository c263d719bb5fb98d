import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { waitUntil } from './support/eventually';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

/**
 * With one inbound batch at a time, the rows that queued up while it was busy are all applied by
 * the next batch, whichever conversations (and so lanes) they belong to.
 */
describe('inbound work of many conversations', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox({ WORKER_CONCURRENCY: '1' }));
    page = sandbox.addPage({ id: '812', name: 'Batch Page' });
    const org = await t.createOrganization('Batches');
    await connectPage(t, sandbox, org.apiKey, page);
  });
  afterAll(async () => {
    await t?.close();
    await sandbox?.stop();
  });

  const post = async (user: string, mid: string, text: string) => {
    const response = await sandbox.postWebhook(webhookOf('messenger', page.id, messageEvent('messenger', { account: page.id, user }, { mid, text })));
    expect(response.status).toBe(200);
  };

  it('that queued up behind a busy batch is applied together in one transaction, each conversation in order', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `batch-user-${i}`);
    const mids = new Map(users.map((user) => [user, [newMid('messenger'), newMid('messenger')]]));

    // The first delivery's batch waits on the table; the others queue up meanwhile.
    const blocker = await t.db.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE messages IN EXCLUSIVE MODE');
    try {
      for (const round of [0, 1]) for (const user of users) await post(user, mids.get(user)![round], `${user} ${round}`);
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }

    const all = [...mids.values()].flat();
    const rows = await waitUntil(
      async () => {
        const { rows } = await t.db.query(`SELECT external_id, text, xmin::text AS tx FROM messages WHERE external_id = ANY($1) ORDER BY created_at`, [all]);
        return rows.length === all.length ? rows : undefined;
      },
      20_000,
      'every message to be stored',
    );
    // The blocked batch's own transaction, then one for all the rest (a conversation's second
    // delivery goes in the same claim as its first); or one more, when a poll claimed some of the
    // rest before the others were stored.
    expect(new Set(rows.map((row: { tx: string }) => row.tx)).size).toBeLessThanOrEqual(3);
    for (const user of users) {
      const own = rows.filter((row: { text: string }) => row.text.startsWith(`${user} `)).map((row: { text: string }) => row.text);
      expect(own).toEqual([`${user} 0`, `${user} 1`]);
    }
    // The applied rows went with the transaction that applied them.
    const { rows: left } = await t.db.query(`SELECT count(*)::int AS n FROM inbound_queue`);
    expect(left[0].n).toBe(0);
  });
});
