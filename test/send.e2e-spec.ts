import { ErrorMessages } from '../src/common/domain-error';
import { CONNECTION_CACHE_TTL_MS } from '../src/mods/meta/services/meta-settings.service';
import { MetaRateLimiter, SendLane } from '../src/mods/meta/services/meta-rate-limiter';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { deliveryEvent, echoEvent, messageEvent, webhookOf } from '../src/sandbox/webhook-events';
import { addFacebookIdentity, addInstagramIdentity, createContact, createConversation } from './support/factories';
import { connectPage, startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

const HOUR = 3600 * 1000;
const SETTLED = ['published', 'delivered', 'read', 'failed'];

describe('POST /api/messaging/send', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let org: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];
  let pageCounter = 200;

  beforeAll(async () => {
    // Two tries per send keeps the retry paths short; a low per-Page limit makes pacing visible.
    ({ t, sandbox, page, org } = await startWithConnectedPage(
      { id: '111', name: 'Acme Page', instagram: { id: '178', username: 'acme' } },
      'Acme',
      { SEND_MAX_ATTEMPTS: '2', META_PAGE_SENDS_PER_SECOND: '10' },
    ));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));
  beforeEach(() => sandbox.clear());

  /** A Messenger (and optionally Instagram) contact whose last message came `ageMs` ago. */
  async function contact(options: { psid?: string | null; igsid?: string | null; ageMs?: number; orgId?: string; pageId?: string } = {}) {
    const organizationId = options.orgId ?? org.id;
    const contactId = await createContact(t.db, organizationId, { displayName: 'Jane' });
    if (options.psid !== null) await addFacebookIdentity(t.db, contactId, options.pageId ?? page.id, options.psid ?? `psid-${contactId.slice(0, 8)}`);
    if (options.igsid) await addInstagramIdentity(t.db, contactId, '178', options.igsid);
    const lastInboundAt = new Date(Date.now() - (options.ageMs ?? 60_000));
    const conversationId = await createConversation(t.db, contactId, { lastInboundAt });
    const igConversationId = options.igsid ? await createConversation(t.db, contactId, { channel: 'instagram_dm', lastInboundAt }) : undefined;
    return { contactId, conversationId, igConversationId };
  }

  const send = (body: object, options: { token?: string; query?: string; headers?: Record<string, string> } = {}) =>
    t.request('POST', `/api/messaging/send${options.query ?? ''}`, { token: options.token ?? org.apiKey, body, headers: options.headers });

  async function settled(id: string): Promise<any> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await t.db.query('SELECT status, external_id, error, error_details FROM messages WHERE id = $1', [id]);
      if (SETTLED.includes(rows[0].status)) return rows[0];
      if (Date.now() > deadline) throw new Error(`message ${id} still ${rows[0].status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('condition not met within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Another organization on a Page of its own. */
  async function otherConnectedOrg(instagram = false) {
    const id = String(pageCounter++);
    const otherPage = sandbox.addPage({ id, name: `Page ${id}`, instagram: instagram ? { id: `${id}9`, username: `u${id}` } : undefined });
    const other = await t.createOrganization(`Org ${id}`);
    await connectPage(t, sandbox, other.apiKey, otherPage);
    return { other, otherPage };
  }

  it('queues a Messenger text as one pending record, then publishes it with the exact Send API body', async () => {
    const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
    sockets.push(socket);
    const { contactId, conversationId } = await contact({ psid: 'psid-jane' });

    const res = await send({ channel: 'facebook_messenger', contactId, text: 'Hello!' });

    expect(res.status).toBe(202);
    expect(res.body.messages).toHaveLength(1);
    const [record] = res.body.messages;
    expect(record).toMatchObject({ conversationId, channel: 'facebook_messenger', direction: 'outbound', status: 'pending', text: 'Hello!', attachments: [], externalId: null });
    const row = await settled(record.id);
    expect(row.status).toBe('published');
    const [sent] = sandbox.sent();
    expect(sent.path).toBe('/v21.0/me/messages');
    expect(sent.body).toEqual({ recipient: { id: 'psid-jane' }, messaging_type: 'RESPONSE', message: { text: 'Hello!' } });
    expect(row.external_id).toBe(sent.messageId);
    expect(sandbox.requests.find((r) => r.path === '/v21.0/me/messages')?.query.appsecret_proof).toMatch(/^[0-9a-f]{64}$/);

    await expect(socket.waitFor('message.created', (m) => m.id === record.id)).resolves.toMatchObject({ status: 'pending' });
    const published = await socket.waitFor('message.updated', (m) => m.id === record.id && m.status === 'published');
    expect(published).toMatchObject({ externalId: sent.messageId });
    // The pushed record is the one REST shows, field for field.
    const listed = (await t.request('GET', `/api/conversations/${conversationId}/messages`, { token: org.apiKey })).body.data;
    expect(published).toEqual(listed.find((m: { id: string }) => m.id === record.id));
    await expect(socket.waitFor('conversation.updated', (c) => c.id === conversationId)).resolves.toMatchObject({ contactId });
  });

  it('sends an Instagram text into a conversation on /{ig_account_id}/messages', async () => {
    const { igConversationId } = await contact({ igsid: 'igsid-jane' });

    const res = await send({ channel: 'instagram_dm', conversationId: igConversationId, text: 'Hi on Instagram' }, { query: '?wait=true' });

    expect(res.status).toBe(200);
    expect(res.body.messages[0]).toMatchObject({ status: 'published', conversationId: igConversationId, channel: 'instagram_dm' });
    const [sent] = sandbox.sent();
    expect(sent.path).toBe('/v21.0/178/messages');
    expect(sent.body).toEqual({ recipient: { id: 'igsid-jane' }, messaging_type: 'RESPONSE', message: { text: 'Hi on Instagram' } });
    expect(res.body.messages[0].externalId).toBe(sent.messageId);
  });

  it('replies to a person who wrote through the webhook, within the window their message opened', async () => {
    const { other, otherPage } = await otherConnectedOrg();
    const parties = { account: otherPage.id, user: '5550001' };
    const wroteAt = Date.now() - 2 * HOUR;
    expect((await sandbox.postWebhook(webhookOf('messenger', otherPage.id, messageEvent('messenger', parties, { text: 'Where is my order?', timestamp: wroteAt })))).status).toBe(200);
    const conversation = await waitFor(async () => {
      const { rows } = await t.db.query('SELECT id, contact_id, last_inbound_at FROM conversations WHERE organization_id = $1', [other.id]);
      return rows[0];
    });
    expect(conversation.last_inbound_at.getTime()).toBe(wroteAt);

    const res = await send({ channel: 'facebook_messenger', contactId: conversation.contact_id, text: 'On its way' }, { token: other.apiKey, query: '?wait=true' });

    expect(res.status).toBe(200);
    const [reply] = res.body.messages;
    expect(reply).toMatchObject({ conversationId: conversation.id, status: 'published' });
    const sent = sandbox.sent().find((s) => s.pageId === otherPage.id)!;
    expect(sent.body).toEqual({ recipient: { id: '5550001' }, messaging_type: 'RESPONSE', message: { text: 'On its way' } });

    // Meta's echo of our own send adds nothing; its delivery receipt moves our record on.
    const echo = echoEvent('messenger', parties, { mid: sent.messageId, text: 'On its way', appId: Number(sandbox.appId) });
    const delivery = deliveryEvent(parties, { watermark: Date.now() + 1000 });
    expect((await sandbox.postWebhook(webhookOf('messenger', otherPage.id, echo, delivery))).status).toBe(200);
    const delivered = await waitFor(async () => {
      const { rows } = await t.db.query(`SELECT status FROM messages WHERE id = $1 AND status = 'delivered'`, [reply.id]);
      return rows[0];
    });
    expect(delivered.status).toBe('delivered');
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND direction = $2', [conversation.id, 'outbound']);
    expect(rows[0].n).toBe(1);
  });

  describe('refusals, before anything is queued', () => {
    async function expectRefused(res: { status: number; body: any }, status: number, message: string | RegExp) {
      expect(res.status).toBe(status);
      if (typeof message === 'string') expect(res.body.message).toBe(message);
      else expect(res.body.message).toMatch(message);
      expect(sandbox.sent()).toHaveLength(0);
    }

    it('refuses an organization without a Meta connection with 409', async () => {
      const lonely = await t.createOrganization('Lonely');
      const contactId = await createContact(t.db, lonely.id);
      await expectRefused(await send({ channel: 'facebook_messenger', contactId, text: 'x' }, { token: lonely.apiKey }), 409, ErrorMessages.notConnected);
      await expectRefused(await send({ channel: 'instagram_dm', contactId, text: 'x' }, { token: lonely.apiKey }), 409, ErrorMessages.notConnected);
    });

    it('refuses a Messenger contact without a PSID with 422', async () => {
      const { contactId } = await contact({ psid: null });
      await expectRefused(await send({ channel: 'facebook_messenger', contactId, text: 'x' }), 422, ErrorMessages.noPsid);
    });

    it('refuses a contact known only on another Page with 422, by contact and by conversation', async () => {
      const { contactId, conversationId } = await contact({ psid: 'psid-elsewhere', pageId: '999000' });
      await expectRefused(await send({ channel: 'facebook_messenger', contactId, text: 'x' }), 422, ErrorMessages.noPsid);
      await expectRefused(await send({ channel: 'facebook_messenger', conversationId, text: 'x' }), 422, ErrorMessages.noPsid);
    });

    it('reaches a contact known on several Pages by its id on the connected Page, by contact and by conversation', async () => {
      const { contactId, conversationId } = await contact({ psid: 'psid-here' });
      await addFacebookIdentity(t.db, contactId, '999001', 'psid-on-another-page');
      expect((await send({ channel: 'facebook_messenger', contactId, text: 'by contact' })).status).toBe(202);
      expect((await send({ channel: 'facebook_messenger', conversationId, text: 'by conversation' })).status).toBe(202);
      await waitFor(async () => (sandbox.sent().length === 2 ? true : undefined));
      expect(sandbox.sent().map((call) => call.recipientId)).toEqual(['psid-here', 'psid-here']);
    });

    it('refuses an Instagram contact without an IGSID with 422', async () => {
      const { contactId } = await contact({ psid: 'psid-only' });
      await expectRefused(await send({ channel: 'instagram_dm', contactId, text: 'x' }), 422, ErrorMessages.noIgsid);
    });

    it('refuses Instagram with 409 when no account is linked, before looking at the contact', async () => {
      const { other, otherPage } = await otherConnectedOrg(false);
      const contactId = await createContact(t.db, other.id);
      await addFacebookIdentity(t.db, contactId, otherPage.id, 'psid-x');
      await expectRefused(await send({ channel: 'instagram_dm', contactId, text: 'x' }, { token: other.apiKey }), 409, ErrorMessages.instagramNotLinked);
    });

    it.each([
      ['both contactId and conversationId', { contactId: 'c', conversationId: 'c' }, /exactly one/],
      ['neither contactId nor conversationId', {}, /exactly one/],
      ['neither text nor attachments', { contactId: 'c', text: undefined }, /text, attachmentIds/],
      ['MESSAGE_TAG without a tag', { contactId: 'c', messagingType: 'MESSAGE_TAG' }, /tag is required/],
      ['a tag without MESSAGE_TAG', { contactId: 'c', tag: 'HUMAN_AGENT' }, /tag is only allowed/],
      ['a retired tag', { contactId: 'c', messagingType: 'MESSAGE_TAG', tag: 'ACCOUNT_UPDATE' }, /tag must be/],
      ['an unknown messaging type', { contactId: 'c', messagingType: 'PROMO' }, /messagingType must be/],
      ['an unknown channel', { contactId: 'c', channel: 'sms' }, /channel must be/],
      ['an unknown field', { contactId: 'c', priority: 1 }, /priority should not exist/],
    ])('answers 400 for %s', async (_, fields, message) => {
      const { contactId, conversationId } = await contact();
      const body: Record<string, unknown> = { channel: 'facebook_messenger', text: 'x', ...fields };
      for (const key of ['contactId', 'conversationId'] as const) if (body[key] === 'c') body[key] = key === 'contactId' ? contactId : conversationId;
      await expectRefused(await send(body), 400, message);
    });

    it("answers 404 for another organization's contact or conversation", async () => {
      const { other } = await otherConnectedOrg();
      const { contactId, conversationId } = await contact();
      await expectRefused(await send({ channel: 'facebook_messenger', contactId, text: 'x' }, { token: other.apiKey }), 404, /not found/);
      await expectRefused(await send({ channel: 'facebook_messenger', conversationId, text: 'x' }, { token: other.apiKey }), 404, /not found/);
    });

    it('answers sends arriving together, whose recipients are read together, each for its own organization and recipient', async () => {
      const { other, otherPage } = await otherConnectedOrg();
      const mine = await contact({ igsid: 'igsid-together' });
      const theirs = await contact({ orgId: other.id, pageId: otherPage.id });
      const missing = '00000000-0000-4000-8000-000000000000';
      const cases: { token: string; body: object; status: number }[] = [
        { token: org.apiKey, body: { contactId: mine.contactId }, status: 202 },
        { token: org.apiKey, body: { conversationId: mine.conversationId }, status: 202 },
        { token: other.apiKey, body: { contactId: theirs.contactId }, status: 202 },
        { token: other.apiKey, body: { conversationId: theirs.conversationId }, status: 202 },
        { token: other.apiKey, body: { contactId: mine.contactId }, status: 404 },
        { token: org.apiKey, body: { conversationId: theirs.conversationId }, status: 404 },
        { token: org.apiKey, body: { conversationId: mine.igConversationId }, status: 422 },
        { token: org.apiKey, body: { contactId: missing }, status: 404 },
      ];
      const asked = Array.from({ length: 40 }, (_, i) => cases[i % cases.length]);

      const answers = await Promise.all(asked.map(({ token, body }, i) => send({ channel: 'facebook_messenger', text: `together ${i}`, ...body }, { token })));

      expect(answers.map((answer) => answer.status)).toEqual(asked.map((c) => c.status));
      answers.forEach((answer, i) => {
        if (answer.status !== 202) return;
        const wanted = 'conversationId' in asked[i].body ? asked[i].body.conversationId : [mine, theirs].find((c) => c.contactId === (asked[i].body as { contactId: string }).contactId)!.conversationId;
        expect(answer.body.messages[0].conversationId).toBe(wanted);
      });
      const stored = await t.db.query(`SELECT id FROM messages WHERE text LIKE 'together %'`);
      expect(stored.rows).toHaveLength(asked.filter((c) => c.status === 202).length);
      // Sent before the next test, whose sandbox log must hold only its own calls.
      for (const { id } of stored.rows) expect((await settled(id)).status).toBe('published');
    });
  });

  describe('the 24-hour window', () => {
    it.each(['RESPONSE', 'UPDATE'])('refuses %s more than 24 hours after the last inbound message, saying so', async (messagingType) => {
      const { contactId } = await contact({ ageMs: 25 * HOUR });
      const res = await send({ channel: 'facebook_messenger', contactId, text: 'late', messagingType });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/24 hours/);
      expect(res.body.message).toMatch(/HUMAN_AGENT/);
      expect(sandbox.sent()).toHaveLength(0);
    });

    it('lets a HUMAN_AGENT reply through up to 7 days, with the tag on the Graph call', async () => {
      const { contactId } = await contact({ psid: 'psid-late', ageMs: 3 * 24 * HOUR });
      const res = await send({ channel: 'facebook_messenger', contactId, text: 'agent here', messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }, { query: '?wait=true' });
      expect(res.status).toBe(200);
      expect(res.body.messages[0].status).toBe('published');
      expect(sandbox.sent()[0].body).toEqual({ recipient: { id: 'psid-late' }, messaging_type: 'MESSAGE_TAG', message: { text: 'agent here' }, tag: 'HUMAN_AGENT' });
    });

    it('refuses a HUMAN_AGENT reply after 7 days', async () => {
      const { contactId } = await contact({ ageMs: 8 * 24 * HOUR });
      const res = await send({ channel: 'facebook_messenger', contactId, text: 'too late', messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/7 days/);
    });

    it('sends UPDATE inside the window without adding a tag', async () => {
      const { contactId } = await contact({ ageMs: 23 * HOUR });
      const res = await send({ channel: 'facebook_messenger', contactId, text: 'update', messagingType: 'UPDATE' }, { query: '?wait=true' });
      expect(res.status).toBe(200);
      expect(sandbox.sent()[0].body).not.toHaveProperty('tag');
      expect(sandbox.sent()[0].body.messaging_type).toBe('UPDATE');
    });
  });

  describe('failures and retries', () => {
    it('retries a transient error with backoff and then publishes', async () => {
      const { contactId } = await contact();
      sandbox.failNext(1, { code: 2, httpStatus: 503, path: /\/messages$/ });
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);

      const res = await send({ channel: 'facebook_messenger', contactId, text: 'eventually' });

      const id = res.body.messages[0].id;
      await expect(socket.waitFor('message.updated', (m) => m.id === id && m.status === 'failed_waiting_for_retry')).resolves.toMatchObject({
        errorDetails: { code: 2 },
      });
      const row = await settled(id);
      expect(row).toMatchObject({ status: 'published', error: null, error_details: null });
      // No error details at all, not a JSON null (both read back as null).
      expect((await t.db.query('SELECT error_details IS NULL AS none FROM messages WHERE id = $1', [id])).rows[0].none).toBe(true);
      expect(sandbox.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(2);
      expect(sandbox.sent()).toHaveLength(1);
    });

    it('sends a retry to the contact on the Page the organization is connected to by then, not where the send was accepted', async () => {
      const { other, otherPage } = await otherConnectedOrg();
      const nextPage = sandbox.addPage({ id: String(pageCounter++), name: 'The next Page' });
      const contactId = await createContact(t.db, other.id);
      await addFacebookIdentity(t.db, contactId, otherPage.id, 'psid-on-the-first-page');
      await addFacebookIdentity(t.db, contactId, nextPage.id, 'psid-on-the-next-page');
      sandbox.failNext(1, { code: 2, httpStatus: 503, path: /\/messages$/ });

      const res = await send({ channel: 'facebook_messenger', contactId, text: 'across a reconnect' }, { token: other.apiKey });
      const id = res.body.messages[0].id;
      await waitFor(async () => (await t.db.query(`SELECT 1 FROM messages WHERE id = $1 AND status = 'failed_waiting_for_retry'`, [id])).rowCount);
      await connectPage(t, sandbox, other.apiKey, nextPage);

      expect(await settled(id)).toMatchObject({ status: 'published' });
      const [first, retry] = sandbox.requests.filter((r) => r.path.endsWith('/messages'));
      expect((first.body as any).recipient).toEqual({ id: 'psid-on-the-first-page' });
      expect((retry.body as any).recipient).toEqual({ id: 'psid-on-the-next-page' });
      expect(sandbox.sent()).toMatchObject([{ pageId: nextPage.id, recipientId: 'psid-on-the-next-page' }]);
    });

    it('fails after the last attempt with the error details and a sentence to act on', async () => {
      const { contactId } = await contact();
      sandbox.failNext(2, { code: 613, message: '(#613) Calls to this api have exceeded the rate limit.', path: /\/messages$/ });

      const res = await send({ channel: 'facebook_messenger', contactId, text: 'never' });

      const row = await settled(res.body.messages[0].id);
      expect(row.status).toBe('failed');
      expect(row.error_details).toEqual({ code: 613, subcode: null, message: '(#613) Calls to this api have exceeded the rate limit.', fbtraceId: expect.any(String) });
      expect(row.error).toMatch(/rate-limited/);
      // The Page was slowed down after Meta's rate-limit answer.
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM meta_send_pacing WHERE page_id = $1 AND slow_until > now()`, [page.id]);
      expect(rows[0].n).toBeGreaterThan(0);
      // The second 613 in a row paused the Page for as long as it had been refusing (the retry's
      // backoff, about 2.7 s), not for one second: it backs off while Meta keeps refusing.
      const [pacing] = (await t.db.query(`SELECT extract(epoch FROM next_at - slow_since)::float8 AS s FROM meta_send_pacing WHERE page_id = $1 AND lane = 'standard'`, [page.id])).rows;
      expect(pacing.s).toBeGreaterThan(4.5);
      await t.db.query(`UPDATE meta_send_pacing SET slow_until = NULL, next_at = now() WHERE page_id = $1`, [page.id]);
    });

    it('fails a permanent error at once, without retrying', async () => {
      const { contactId } = await contact();
      sandbox.failNext(1, { code: 100, subcode: 2018001, message: '(#100) No matching user found', path: /\/messages$/ });

      const res = await send({ channel: 'facebook_messenger', contactId, text: 'nobody' }, { query: '?wait=true' });

      expect(res.status).toBe(200);
      expect(res.body.messages[0]).toMatchObject({
        status: 'failed',
        errorDetails: { code: 100, subcode: 2018001, message: '(#100) No matching user found' },
        error: expect.stringContaining('No matching user found'),
      });
      expect(sandbox.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(1);
    });

    it('on error 190 fails the message, expires the connection, announces it, and refuses later sends with 409', async () => {
      const { other, otherPage } = await otherConnectedOrg();
      const socket = await RecordingSocket.connect(t.baseUrl, other.apiKey);
      sockets.push(socket);
      const contactId = await createContact(t.db, other.id);
      await addFacebookIdentity(t.db, contactId, otherPage.id, 'psid-190');
      sandbox.expireToken(otherPage.accessToken);

      const res = await send({ channel: 'facebook_messenger', contactId, text: 'dead token' }, { token: other.apiKey, query: '?wait=true' });

      expect(res.status).toBe(409);
      expect(res.body.message).toBe(ErrorMessages.connectionExpired);
      const { rows } = await t.db.query(`SELECT status, error, error_details FROM messages WHERE organization_id = $1`, [other.id]);
      expect(rows).toEqual([{ status: 'failed', error: ErrorMessages.connectionExpired, error_details: expect.objectContaining({ code: 190 }) }]);
      // The connect's own connection.updated may reach this socket first (the outbox relays it after commit).
      await expect(socket.waitFor('connection.updated', (c) => c.status === 'expired')).resolves.toMatchObject({ connected: true, status: 'expired' });
      const status = await t.request('GET', '/api/meta/connection/status', { token: other.apiKey });
      expect(status.body.status).toBe('expired');

      const again = await send({ channel: 'facebook_messenger', contactId, text: 'again' }, { token: other.apiKey });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(ErrorMessages.connectionExpired);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retried request with the first answer and sends once', async () => {
      const { contactId } = await contact();
      const headers = { 'idempotency-key': 'order-4821-reply' };
      const body = { channel: 'facebook_messenger', contactId, text: 'once only' };

      const [first, second] = await Promise.all([send(body, { headers }), send(body, { headers })]);
      const third = await send(body, { headers });

      expect(first.status).toBe(202);
      expect(second).toMatchObject({ status: 202, body: first.body });
      expect(third).toMatchObject({ status: 202, body: first.body });
      await settled(first.body.messages[0].id);
      expect(sandbox.sent()).toHaveLength(1);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE text = 'once only'`);
      expect(rows[0].n).toBe(1);
    });

    it('treats a key last used more than 24 hours ago as new, and replays its new answer from then on', async () => {
      const { contactId } = await contact();
      const headers = { 'idempotency-key': 'yesterdays-key' };
      const first = await send({ channel: 'facebook_messenger', contactId, text: 'yesterday' }, { headers });
      expect(first.status).toBe(202);
      await t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE organization_id = $1 AND key = $2`, [org.id, 'yesterdays-key']);

      const today = await send({ channel: 'facebook_messenger', contactId, text: 'today' }, { headers });
      expect(today.status).toBe(202);
      expect(today.body.messages[0]).toMatchObject({ text: 'today' });
      expect(today.body.messages[0].id).not.toBe(first.body.messages[0].id);
      expect(await send({ channel: 'facebook_messenger', contactId, text: 'today' }, { headers })).toMatchObject({ status: 202, body: today.body });
      expect((await send({ channel: 'facebook_messenger', contactId, text: 'yesterday' }, { headers })).status).toBe(422);
    });

    it('refuses the same key with a different request with 422', async () => {
      const { contactId } = await contact();
      const headers = { 'idempotency-key': 'reused-key' };
      expect((await send({ channel: 'facebook_messenger', contactId, text: 'first' }, { headers })).status).toBe(202);
      const res = await send({ channel: 'facebook_messenger', contactId, text: 'second' }, { headers });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/Idempotency-Key/);
    });

    it('keeps keys apart per organization', async () => {
      const { other, otherPage } = await otherConnectedOrg();
      const theirs = await createContact(t.db, other.id);
      await addFacebookIdentity(t.db, theirs, otherPage.id, 'psid-theirs');
      const { contactId } = await contact();
      const headers = { 'idempotency-key': 'shared-key' };
      expect((await send({ channel: 'facebook_messenger', contactId, text: 'ours' }, { headers })).status).toBe(202);
      expect((await send({ channel: 'facebook_messenger', contactId: theirs, text: 'theirs' }, { headers, token: other.apiKey })).status).toBe(202);
    });
  });

  describe('the connection each instance keeps in memory for a moment', () => {
    it('refuses a send at once on the instance that disconnected, and within the cache time on another instance', async () => {
      const { other, otherPage } = await otherConnectedOrg();
      const b = await TestApp.start({
        DATABASE_URL: t.env.DATABASE_URL,
        // The same encryption key, as every instance of one deployment has.
        DATA_DIR: t.env.DATA_DIR,
        META_GRAPH_URL: sandbox.url,
        META_OAUTH_DIALOG_URL: sandbox.url,
        PUBLIC_URL: t.env.PUBLIC_URL,
      });
      try {
        const contactId = await createContact(t.db, other.id);
        await addFacebookIdentity(t.db, contactId, otherPage.id, 'psid-cached-connection');
        const body = { channel: 'facebook_messenger', contactId, text: 'while connected' };
        const onB = () => b.request('POST', '/api/messaging/send', { token: other.apiKey, body });
        // Both instances have just read the connection (and keep it).
        expect((await send(body, { token: other.apiKey })).status).toBe(202);
        expect((await onB()).status).toBe(202);

        expect((await t.request('DELETE', '/api/meta/connection', { token: other.apiKey })).status).toBe(200);
        const disconnectedAt = Date.now();
        const here = await send(body, { token: other.apiKey });
        expect(here.status).toBe(409);
        expect(here.body.message).toBe(ErrorMessages.notConnected);

        const refusedAt = await waitFor(async () => {
          const there = await onB();
          if (there.status === 202) return undefined;
          expect(there.status).toBe(409);
          expect(there.body.message).toBe(ErrorMessages.notConnected);
          return Date.now();
        });
        expect(refusedAt - disconnectedAt).toBeLessThanOrEqual(CONNECTION_CACHE_TTL_MS + 1000);
      } finally {
        await b.close();
      }
    });

    it('refuses a send at once after the token was found expired on this instance', async () => {
      const { other, otherPage } = await otherConnectedOrg();
      const contactId = await createContact(t.db, other.id);
      await addFacebookIdentity(t.db, contactId, otherPage.id, 'psid-cached-expired');
      const body = { channel: 'facebook_messenger', contactId, text: 'before the token died' };
      expect((await send(body, { token: other.apiKey, query: '?wait=true' })).status).toBe(200);
      sandbox.expireToken(otherPage.accessToken);
      expect((await send(body, { token: other.apiKey, query: '?wait=true' })).status).toBe(409);
      const again = await send(body, { token: other.apiKey });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(ErrorMessages.connectionExpired);
    });
  });

  /** Sends `count` texts at once, each to a contact of its own on the organization's Page; answers the send ids. */
  async function burst(other: { id: string; apiKey: string }, pageId: string, count: number): Promise<string[]> {
    const contacts = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const contactId = await createContact(t.db, other.id);
        await addFacebookIdentity(t.db, contactId, pageId, `psid-burst-${pageId}-${i}`);
        return contactId;
      }),
    );
    const answers = await Promise.all(contacts.map((contactId) => send({ channel: 'facebook_messenger', contactId, text: 'burst' }, { token: other.apiKey })));
    return answers.map((a) => a.body.messages[0].id);
  }

  /** The most calls to the Page the sandbox received in any one second. */
  function busiestSecond(pageId: string): number {
    const perSecond = new Map<number, number>();
    for (const call of sandbox.sent().filter((s) => s.pageId === pageId)) perSecond.set(Math.floor(call.at / 1000), (perSecond.get(Math.floor(call.at / 1000)) ?? 0) + 1);
    return Math.max(...perSecond.values());
  }

  it("never lets one Page's sends exceed its per-second limit, across parallel conversations", async () => {
    const { other, otherPage } = await otherConnectedOrg();
    const ids = await burst(other, otherPage.id, 25);
    await Promise.all(ids.map((id) => settled(id)));

    expect(sandbox.sent().filter((s) => s.pageId === otherPage.id)).toHaveLength(25);
    expect(busiestSecond(otherPage.id)).toBeLessThanOrEqual(10);
  });

  it("paces Pages whose slots are reserved together each within its own limit, and neither behind the other", async () => {
    const pages = [await otherConnectedOrg(), await otherConnectedOrg()];
    const ids = (await Promise.all(pages.map(({ other, otherPage }) => burst(other, otherPage.id, 20)))).flat();
    await Promise.all(ids.map((id) => settled(id)));

    const times = pages.map(({ otherPage }) => sandbox.sent().filter((s) => s.pageId === otherPage.id).map((call) => call.at));
    for (const [i, { otherPage }] of pages.entries()) {
      expect(times[i]).toHaveLength(20);
      expect(busiestSecond(otherPage.id)).toBeLessThanOrEqual(10);
    }
    // Side by side: each Page's first call came before the other's last (20 calls take over two seconds a Page).
    expect(Math.max(...times.map((at) => Math.min(...at)))).toBeLessThan(Math.min(...times.map((at) => Math.max(...at))));
  });

  it('gives up a slot its call woke long after (a stalled event loop) rather than crowd the calls of the next slots', async () => {
    const limiter = t.app.get(MetaRateLimiter);
    const pageId = `page-stalled-${Date.now()}`;
    // 10 calls/s paced at 9: slots 1 s / 9 apart. A first call goes; three more take the next three slots.
    const woke: number[] = [];
    const acquire = () => limiter.acquire(pageId, SendLane.Standard).then(() => woke.push(performance.now()));
    await acquire();
    const calls = Array.from({ length: 3 }, acquire);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // While they sleep, the loop stalls past all three slots' times.
    const stallUntil = performance.now() + 400;
    while (performance.now() < stallUntil);
    await Promise.all(calls);

    // Woken late, they took new slots: no two calls left closer than a slot apart, less the lateness allowed.
    const gaps = woke.slice(1).map((at, i) => at - woke[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / 9 - 55);
  });

  it('gives a slot up once only: a call its event loop is late for again leaves then, rather than take slot after slot', async () => {
    const limiter = t.app.get(MetaRateLimiter);
    const pageId = `page-lagging-${Date.now()}`;
    const stall = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
      return performance.now();
    };
    const woke: number[] = [];
    const acquire = () => limiter.acquire(pageId, SendLane.Standard).then(() => woke.push(performance.now()));
    await acquire();
    // Four calls take the next four slots (1 s / 9 apart). The loop stalls past all four; the calls
    // take new ones (the first of which is now), and the loop stalls past those too.
    const calls = Array.from({ length: 4 }, acquire);
    setTimeout(() => stall(500), 60);
    const lagOver = new Promise<number>((resolve) => setTimeout(() => resolve(stall(600)), 600));
    await Promise.all(calls);

    // The three late for their second slots left as soon as the second stall was over, together.
    const lateTwice = woke.slice(2);
    expect(lateTwice).toHaveLength(3);
    expect(Math.max(...lateTwice) - (await lagOver)).toBeLessThan(100);
  });
});
