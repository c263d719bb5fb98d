import { randomUUID } from 'node:crypto';
import { MessageChannel } from '../src/messaging/message-channel';
import { MessagingType } from '../src/messaging/channels/channel-sender';
import { SendStoreService, SendToStore } from '../src/messaging/services/send-store.service';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { eventually } from './support/eventually';
import { createMessengerCustomer } from './support/factories';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

/**
 * Text sends that arrive while a store is in flight are stored together: one transaction, a
 * statement per layer of distinct conversations, one outbox statement. What each sender must
 * still see: its own records and job, its contact's sends in order, and a refusal of its own
 * only when its own send was refused.
 */
describe('sends stored together', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };
  let page: SandboxPage;
  let counter = 0;

  beforeAll(async () => {
    ({ t, sandbox, page, org } = await startWithConnectedPage({ id: '881', name: 'Together Page' }, 'Together'));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }));
  beforeEach(() => sandbox.clear());

  async function contact(): Promise<{ contactId: string; psid: string }> {
    const psid = `psid-together-${++counter}`;
    return { contactId: await createMessengerCustomer(t.db, org.id, page.id, psid), psid };
  }
  const sendOf = (contactId: string, text: string, psid = 'unused'): SendToStore => ({
    organizationId: org.id,
    contactId,
    channel: MessageChannel.FacebookMessenger,
    address: { account: page.id, recipientId: psid },
    records: [{ text, quick_replies: null, buttons: null, sent_at: new Date().toISOString() }],
    messagingType: MessagingType.Response,
    tag: null,
    agent: null,
  });
  const textsTo = (psid: string) =>
    sandbox.requests.filter((r) => r.path.endsWith('/messages') && (r.body as any).recipient.id === psid).map((r) => (r.body as any).message.text as string);

  it('stores concurrent sends in shared transactions, each with its records and job, each contact in its order', async () => {
    const [a, b] = [await contact(), await contact()];
    const texts = Array.from({ length: 12 }, (_, i) => `${i % 2 ? 'b' : 'a'}${i}`);
    // Over HTTP, as the inbox sends: all at once, alternating between the two contacts.
    const answers = await Promise.all(
      texts.map((text) =>
        t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId: (text[0] === 'a' ? a : b).contactId, text } }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(texts.map(() => 202));
    const ids = answers.map((res) => res.body.messages[0].id as string);
    const { rows } = await t.db.query(`SELECT id, text, xmin::text AS tx, sent_at FROM messages WHERE id = ANY($1::uuid[])`, [ids]);
    expect(rows.map((row) => row.text).sort()).toEqual([...texts].sort());
    // Committed together: fewer transactions than sends.
    expect(new Set(rows.map((row) => row.tx)).size).toBeLessThan(texts.length);

    // Each contact's sends reach Meta once each, in the order they were stored (sent_at, a millisecond's ties either way).
    await eventually(async () => textsTo(a.psid).length + textsTo(b.psid).length, (n) => n === texts.length, 20_000);
    const sentAt = new Map(rows.map((row) => [row.text as string, (row.sent_at as Date).getTime()]));
    for (const who of [a, b]) {
      const sent = textsTo(who.psid);
      expect(new Set(sent).size).toBe(sent.length);
      const times = sent.map((text) => sentAt.get(text)!);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    }
    await eventually(async () => (await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status = 'published'`, [ids])).rows[0].n, (n) => n === texts.length, 20_000);
  });

  it('keeps a contact’s sends in order when one group holds several of them', async () => {
    const { contactId, psid } = await contact();
    const store = t.app.get(SendStoreService);
    const texts = ['first', 'second', 'third', 'fourth'];
    // Called at once: the first goes alone, the other three wait for it and share one transaction in three layers.
    await Promise.all(texts.map((text) => store.storeTogether(sendOf(contactId, text, psid))));
    await eventually(async () => textsTo(psid), (sent) => sent.length === texts.length, 20_000);
    expect(textsTo(psid)).toEqual(texts);
  });

  it('refuses only the send whose contact is gone, and stores the others of its group', async () => {
    const { contactId, psid } = await contact();
    const store = t.app.get(SendStoreService);
    const gone = randomUUID();
    const outcomes = await Promise.allSettled([
      store.storeTogether(sendOf(contactId, 'before', psid)),
      store.storeTogether(sendOf(contactId, 'kept 1', psid)),
      store.storeTogether(sendOf(gone, 'refused')),
      store.storeTogether(sendOf(contactId, 'kept 2', psid)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    await eventually(async () => textsTo(psid), (sent) => sent.length === 3, 20_000);
    expect(textsTo(psid)).toEqual(['before', 'kept 1', 'kept 2']);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE text = 'refused'`);
    expect(rows[0].n).toBe(0);
  });
});
