import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { eventually } from './support/eventually';
import { createMessengerCustomer } from './support/factories';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

/**
 * Sends to one Page that leave together reach Meta as one batch request: each still its own call
 * to Meta (its own message id, its own failure and retry), each contact's sends still in order.
 * A high per-Page limit makes the slots of sends run together fall due together.
 */
describe('Graph batch requests', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let org: { id: string; apiKey: string };
  let counter = 0;

  beforeAll(async () => {
    ({ t, sandbox, page, org } = await startWithConnectedPage(
      { id: '881', name: 'Batch Page' },
      'Batches',
      { META_PAGE_SENDS_PER_SECOND: '100000', SEND_MAX_ATTEMPTS: '3' },
    ));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }));
  beforeEach(() => sandbox.clear());

  const contact = () => createMessengerCustomer(t.db, org.id, page.id, `psid-batch-${++counter}`);
  const send = async (contactId: string, text: string): Promise<string> => {
    const res = await t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId, text } });
    expect(res.status).toBe(202);
    return res.body.messages[0].id;
  };
  const stored = async (ids: string[]) =>
    (await t.db.query('SELECT id, status, external_id, text FROM messages WHERE id = ANY($1)', [ids])).rows as { id: string; status: string; external_id: string | null; text: string }[];
  const messageCalls = () => sandbox.requests.filter((r) => r.path.endsWith('/messages'));
  const batchRequests = () => sandbox.requests.filter((r) => r.path === '/v21.0/');

  it('sends a burst to many contacts of a Page in batch requests, each stored with the message id Meta gave it', async () => {
    const contacts = await Promise.all(Array.from({ length: 20 }, contact));
    const ids = await Promise.all(contacts.map((contactId, i) => send(contactId, `burst ${i}`)));

    await eventually(async () => (await stored(ids)).every((m) => m.status === 'published'), Boolean, 20_000);
    expect(batchRequests().length).toBeGreaterThan(0);
    expect(messageCalls().filter((r) => r.batched).length).toBeGreaterThan(1);
    // One call to Meta per send, every call its own message id, stored on its own record.
    const sentIds = new Map(sandbox.sent().map((s) => [(s.body as { message: { text: string } }).message.text, s.messageId]));
    expect(sentIds.size).toBe(20);
    for (const message of await stored(ids)) expect(message.external_id).toBe(sentIds.get(message.text));
  });

  it('retries only the send Meta failed while the others go in batches, and holds that contact behind it', async () => {
    const contacts = await Promise.all(Array.from({ length: 8 }, contact));
    // The first call Meta takes fails (transient). Which calls share a batch is timing; what one
    // failed call in a batch does to the others is in graph-batcher.spec.
    sandbox.failNext(1, { code: 2, httpStatus: 503, path: /\/messages$/ });
    const first = await Promise.all(contacts.map((contactId, i) => send(contactId, `first ${i}`)));
    const second = await Promise.all(contacts.map((contactId, i) => send(contactId, `second ${i}`)));

    await eventually(async () => (await stored([...first, ...second])).every((m) => m.status === 'published'), Boolean, 30_000);
    const calls = messageCalls().map((r) => ({ text: (r.body as { message: { text: string } }).message.text, status: r.status, batched: r.batched ?? false }));
    const refused = calls.filter((c) => c.status === 503);
    expect(refused).toHaveLength(1);
    expect(calls.filter((c) => c.batched).length).toBeGreaterThan(1);
    // Each contact's first send reached Meta (and was taken) before its second.
    for (let i = 0; i < contacts.length; i++) {
      const taken = calls.filter((c) => c.status === 200 && c.text.endsWith(` ${i}`)).map((c) => c.text);
      expect(taken).toEqual([`first ${i}`, `second ${i}`]);
    }
    // The refused send was tried again and taken once.
    expect(calls.filter((c) => c.text === refused[0].text).map((c) => c.status)).toEqual([503, 200]);
  });
});
