import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorMessages } from '../src/common/domain-error';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import type { SandboxComment } from '../src/sandbox/meta-sandbox';
import { changesBody, feedCommentChange, messageEvent, webhookOf } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { connectPage, startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

const DAY = 24 * 3600 * 1000;

describe('comments, private and public replies, hiding', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];
  const PAGE = '513000000000001';
  const IG = '17841451300000001';

  beforeAll(async () => {
    ({ t, sandbox, org } = await startWithConnectedPage(
      { id: PAGE, name: 'Comment Coffee', instagram: { id: IG, username: 'comment.coffee' } },
      'Commented',
      { SEND_MAX_ATTEMPTS: '3' },
    ));
    other = await t.createOrganization('Bystander');
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));
  beforeEach(() => sandbox.clear());

  async function socket(apiKey = org.apiKey) {
    const s = await RecordingSocket.connect(t.baseUrl, apiKey);
    sockets.push(s);
    return s;
  }

  const api = (method: string, path: string, body?: unknown, token = org.apiKey) => t.request(method, path, { token, body });
  /** The organization's whole event log, page by page. */
  async function allEvents(): Promise<any[]> {
    const all: any[] = [];
    for (let after = '0'; ; ) {
      const page = (await api('GET', `/api/events?after=${after}&limit=100`)).body;
      all.push(...page.data);
      if (!page.nextCursor) return all;
      after = page.nextCursor;
    }
  }
  const rowOf = async (externalId: string) => (await t.db.query(`SELECT * FROM comments WHERE external_id = $1`, [externalId])).rows[0];
  /** The comment as the API shows it once the webhook's job has stored it. */
  async function stored(comment: SandboxComment, done: (view: any) => boolean = () => true): Promise<any> {
    const row = await eventually(() => rowOf(comment.id), (r) => !!r);
    return (await eventually(() => api('GET', `/api/comments/${row.id}`), (res) => res.status === 200 && done(res.body))).body;
  }
  async function comment(platform: 'facebook' | 'instagram', fields: Partial<Parameters<MetaSandbox['postComment']>[0]> = {}) {
    const { comment: made, delivered } = await sandbox.postComment({ platform, pageId: PAGE, ...fields });
    expect(delivered.status).toBe(200);
    return { sandboxComment: made, view: await stored(made) };
  }

  it('subscribes the Page to feed on connect', () => {
    expect(sandbox.subscribedFields(PAGE)).toEqual(expect.arrayContaining(['messages', 'feed']));
  });

  it('stores a Page post comment from the signed feed webhook, pushes comment.created, and a redelivery changes nothing', async () => {
    const events = await socket();
    const { comment: made, delivered } = await sandbox.postComment({ platform: 'facebook', pageId: PAGE, text: 'Do you ship to Lisbon?', from: { id: '24000000000000001', name: 'Ana Sousa' } });
    expect(delivered.status).toBe(200);
    const view = await stored(made);
    expect(view).toEqual({
      id: expect.any(String),
      channel: 'facebook_messenger',
      externalId: made.id,
      postId: made.postId,
      parentId: null,
      parentExternalId: null,
      text: 'Do you ship to Lisbon?',
      author: { externalId: '24000000000000001', name: 'Ana Sousa', username: null },
      fromPage: false,
      createdAt: new Date(Math.floor(made.createdTime / 1000) * 1000).toISOString(),
      hidden: false,
      editedAt: null,
      deletedAt: null,
      privateReply: null,
      replies: [],
    });
    expect(await events.waitFor('comment.created', (c) => c.id === view.id)).toEqual(view);

    const before = await rowOf(made.id);
    const again = await sandbox.postWebhook(changesBody('messenger', PAGE, [feedCommentChange({ pageId: PAGE, postId: made.postId, commentId: made.id, from: made.from, message: made.text, verb: 'add', createdTime: made.createdTime })]));
    expect(again.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect((await t.db.query(`SELECT count(*)::int AS n FROM comments WHERE external_id = $1`, [made.id])).rows[0].n).toBe(1);
    expect((await rowOf(made.id)).updated_at).toEqual(before.updated_at);
    expect(events.events.filter((e) => e.event.startsWith('comment.') && e.payload.id === view.id)).toHaveLength(1);

    // Integrators and catching-up inboxes get it once as comment.received, the socket event names it.
    const log = (await allEvents()).filter((e: any) => e.type === 'comment.received' && e.data.object.id === view.id);
    expect(log).toEqual([expect.objectContaining({ type: 'comment.received', organizationId: org.id, data: { object: view } })]);
    expect(events.events.find((e) => e.event === 'comment.created' && e.payload.id === view.id)?.source).toEqual({ id: log[0].id, sequence: log[0].sequence, type: 'comment.received' });
  });

  it('stores an Instagram media comment with the username, and a reply with its parent', async () => {
    const { sandboxComment, view } = await comment('instagram', { text: 'Is this in stock?', from: { id: '1200000000000077', username: 'ana.sousa' } });
    expect(view).toMatchObject({ channel: 'instagram_dm', postId: sandboxComment.postId, author: { externalId: '1200000000000077', name: null, username: 'ana.sousa' } });
    const { view: reply } = await comment('instagram', { postId: sandboxComment.postId, parentId: sandboxComment.id, text: 'Me too', from: { id: '1200000000000078', username: 'rui' } });
    expect(reply).toMatchObject({ parentId: view.id, parentExternalId: sandboxComment.id });
  });

  it('applies edits, hiding, unhiding and removal from Meta as comment.updated, each once', async () => {
    const events = await socket();
    const { sandboxComment, view } = await comment('facebook', { text: 'First words' });
    await sandbox.changeComment(sandboxComment.id, 'edited', 'Second words');
    const edited = await stored(sandboxComment, (c) => c.text === 'Second words');
    expect(edited.editedAt).not.toBeNull();
    await sandbox.changeComment(sandboxComment.id, 'hide');
    await stored(sandboxComment, (c) => c.hidden === true);
    await sandbox.changeComment(sandboxComment.id, 'unhide');
    await stored(sandboxComment, (c) => c.hidden === false);
    await sandbox.changeComment(sandboxComment.id, 'remove');
    const removed = await stored(sandboxComment, (c) => c.deletedAt !== null);
    expect(removed.text).toBe('Second words');
    // The same removal again changes nothing.
    await sandbox.postWebhook(changesBody('messenger', PAGE, [feedCommentChange({ pageId: PAGE, postId: sandboxComment.postId, commentId: sandboxComment.id, from: sandboxComment.from, verb: 'remove', createdTime: Date.now() })]));
    await new Promise((r) => setTimeout(r, 500));
    const updates = events.events.filter((e) => e.event === 'comment.updated' && e.payload.id === view.id).map((e) => [e.payload.text, e.payload.hidden, e.payload.deletedAt !== null]);
    expect(updates).toEqual([
      ['Second words', false, false],
      ['Second words', true, false],
      ['Second words', false, false],
      ['Second words', false, true],
    ]);
  });

  it("records a comment the Page itself wrote as the Page's", async () => {
    const { view } = await comment('facebook', { text: 'New beans this week!', from: { id: PAGE, name: 'Comment Coffee' } });
    expect(view.fromPage).toBe(true);
    // Not news for integrators: no comment.received for the Page's own words.
    const log = await allEvents();
    expect(log.some((e: any) => e.type === 'comment.received' && e.data.object.id === view.id)).toBe(false);
  });

  describe('private replies', () => {
    it('sends one to a Page post comment on {page_id}/messages, then shows it in the commenter’s conversation', async () => {
      const events = await socket();
      const { sandboxComment, view } = await comment('facebook', { text: 'Price?', from: { id: '24000000000000123', name: 'Ana' } });
      sandbox.addProfile('ps24000000000000123', { first_name: 'Ana', last_name: 'Sousa' });

      const res = await api('POST', `/api/comments/${view.id}/private-reply`, { text: 'Hi Ana, it is 12 €.' });
      expect(res.status).toBe(202);
      expect(res.body.message).toMatchObject({ conversationId: null, channel: 'facebook_messenger', direction: 'outbound', status: 'pending', text: 'Hi Ana, it is 12 €.' });

      const done = await stored(sandboxComment, (c) => c.privateReply?.status === 'published');
      const psid = `ps${sandboxComment.from.id}`;
      const sent = sandbox.sent().find((m) => m.commentId === sandboxComment.id)!;
      expect([sent.path, sent.body]).toEqual([`/v21.0/${PAGE}/messages`, { recipient: { comment_id: sandboxComment.id }, message: { text: 'Hi Ana, it is 12 €.' } }]);
      expect(done.privateReply).toMatchObject({ id: res.body.message.id, externalId: sent.messageId, conversationId: expect.any(String) });

      // The commenter became a contact with the PSID Meta named; the message is in their conversation.
      const conversation = (await api('GET', '/api/conversations')).body.data.find((c: any) => c.id === done.privateReply.conversationId);
      expect(conversation).toMatchObject({ channel: 'facebook_messenger', lastInboundAt: null });
      const contact = await api('GET', `/api/contacts/${conversation.contactId}`);
      expect(contact.body.identities).toEqual([expect.objectContaining({ channel: 'facebook_messenger', externalId: psid, pageId: PAGE })]);
      // Like any new sender, the commenter's profile is fetched with the id Meta named.
      await eventually(() => api('GET', `/api/contacts/${conversation.contactId}`), (r) => r.body.displayName === 'Ana Sousa');
      const messages = await api('GET', `/api/conversations/${conversation.id}/messages`);
      expect(messages.body.data.map((m: any) => [m.id, m.status])).toEqual([[res.body.message.id, 'published']]);
      await events.waitFor('comment.updated', (c) => c.id === view.id && c.privateReply?.conversationId === conversation.id);

      // The private reply did not open the 24-hour window; the customer's answer does, in the same conversation.
      await sandbox.postWebhook(webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: psid }, { text: 'Thanks! I will take two.' })));
      const answered = await eventually(
        () => api('GET', '/api/conversations'),
        (r) => r.body.data.some((c: any) => c.id === conversation.id && c.lastInboundAt !== null),
      );
      expect(answered.body.data.filter((c: any) => c.contactId === conversation.contactId)).toHaveLength(1);

      // One per comment.
      const second = await api('POST', `/api/comments/${view.id}/private-reply`, { text: 'Again' });
      expect(second.status).toBe(409);
      expect(second.body.message).toMatch(/already has a private reply/);
    });

    it('sends one to an Instagram comment on {ig_account_id}/messages and joins the IGSID’s conversation', async () => {
      const { sandboxComment, view } = await comment('instagram', { text: 'Size?', from: { id: '1200000000000999', username: 'iggy' } });
      expect((await api('POST', `/api/comments/${view.id}/private-reply`, { text: 'All sizes!' })).status).toBe(202);
      const done = await stored(sandboxComment, (c) => c.privateReply?.status === 'published');
      expect(sandbox.sent().find((m) => m.commentId === sandboxComment.id)?.path).toBe(`/v21.0/${IG}/messages`);
      const conversation = (await api('GET', '/api/conversations?channel=instagram_dm')).body.data.find((c: any) => c.id === done.privateReply.conversationId);
      const contact = await api('GET', `/api/contacts/${conversation.contactId}`);
      expect(contact.body.identities).toEqual([expect.objectContaining({ channel: 'instagram_dm', externalId: '1200000000000999', igAccountId: IG })]);
    });

    it('refuses a comment more than 7 days old with 422 and a message a person can act on, without calling Meta', async () => {
      const { view } = await comment('facebook', { createdTime: Date.now() - 8 * DAY });
      const res = await api('POST', `/api/comments/${view.id}/private-reply`, { text: 'Late' });
      expect(res.status).toBe(422);
      expect(res.body.message).toBe('This comment is more than 7 days old, and Meta allows a private reply only within 7 days of a comment. Reply publicly instead.');
      expect(sandbox.sent()).toEqual([]);
    });

    it("fails the message with Meta's own refusals: already replied elsewhere, or no longer answerable", async () => {
      const { sandboxComment, view } = await comment('facebook');
      sandbox.comment(sandboxComment.id)!.privateReply = { messageId: 'm_elsewhere', recipientId: 'ps1' };
      await api('POST', `/api/comments/${view.id}/private-reply`, { text: 'Hello' });
      const failed = await stored(sandboxComment, (c) => c.privateReply?.status === 'failed');
      expect(failed.privateReply).toMatchObject({ conversationId: null, errorDetails: { code: 10900 }, error: expect.stringMatching(/already has a private reply/) });

      const { sandboxComment: edge, view: edgeView } = await comment('facebook', { createdTime: Date.now() - 7 * DAY + 60_000 });
      sandbox.failNext(1, { code: 10903, message: '(#10903) This user cant reply to this activity', path: /messages$/ });
      await api('POST', `/api/comments/${edgeView.id}/private-reply`, { text: 'Hello' });
      const refused = await stored(edge, (c) => c.privateReply?.status === 'failed');
      expect(refused.privateReply.error).toMatch(/within 7 days/);
      // A failed attempt does not count as the comment's one private reply.
      expect((await api('POST', `/api/comments/${edgeView.id}/private-reply`, { text: 'Hello again' })).status).toBe(202);
    });

    it('retries a transient Graph failure like any send', async () => {
      const events = await socket();
      const { sandboxComment, view } = await comment('facebook');
      sandbox.failNext(1, { httpStatus: 503, path: /messages$/ });
      const res = await api('POST', `/api/comments/${view.id}/private-reply`, { text: 'Retry me' });
      await events.waitFor('message.updated', (m) => m.id === res.body.message.id && m.status === 'failed_waiting_for_retry');
      await stored(sandboxComment, (c) => c.privateReply?.status === 'published');
    }, 20000);
  });

  describe('public replies and hiding', () => {
    it('replies publicly on Facebook (/{comment-id}/comments) and records the reply once when Meta announces it', async () => {
      const events = await socket();
      const { sandboxComment, view } = await comment('facebook');
      const res = await api('POST', `/api/comments/${view.id}/replies`, { text: 'Thank you!' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), commentId: view.id, externalId: expect.any(String), text: 'Thank you!', createdAt: expect.any(String) });
      const call = sandbox.requests.find((r) => r.method === 'POST' && r.path === `/v21.0/${sandboxComment.id}/comments`);
      expect(call?.body).toEqual({ message: 'Thank you!' });
      // The sandbox posts the Page's own comment back, as Meta does: it stays one reply, not a new comment.
      await eventually(() => rowOf(res.body.externalId), () => true, 1000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      expect(await rowOf(res.body.externalId)).toBeUndefined();
      const shown = await stored(sandboxComment);
      expect(shown.replies).toEqual([{ id: res.body.id, text: 'Thank you!', createdAt: expect.any(String) }]);
      await events.waitFor('comment.updated', (c) => c.id === view.id && c.replies.length === 1);
    });

    it('replies publicly on Instagram (/{comment-id}/replies)', async () => {
      const { sandboxComment, view } = await comment('instagram');
      const res = await api('POST', `/api/comments/${view.id}/replies`, { text: '💛' });
      expect(res.status).toBe(201);
      expect(sandbox.requests.some((r) => r.method === 'POST' && r.path === `/v21.0/${sandboxComment.id}/replies`)).toBe(true);
    });

    it('hides and unhides with is_hidden (Facebook) and hide (Instagram), answering the comment', async () => {
      const events = await socket();
      const fb = await comment('facebook');
      const hidden = await api('POST', `/api/comments/${fb.view.id}/hide`);
      expect(hidden.status).toBe(200);
      expect(hidden.body).toMatchObject({ id: fb.view.id, hidden: true });
      expect(sandbox.comment(fb.sandboxComment.id)!.hidden).toBe(true);
      const shown = await api('POST', `/api/comments/${fb.view.id}/unhide`);
      expect(shown.body.hidden).toBe(false);
      await events.waitFor('comment.updated', (c) => c.id === fb.view.id && c.hidden === true);

      const ig = await comment('instagram');
      expect((await api('POST', `/api/comments/${ig.view.id}/hide`)).body.hidden).toBe(true);
      const calls = sandbox.requests.filter((r) => r.method === 'POST' && [fb.sandboxComment.id, ig.sandboxComment.id].some((id) => r.path === `/v21.0/${id}`));
      expect(calls.map((r) => r.body)).toEqual([{ is_hidden: true }, { is_hidden: false }, { hide: true }]);
    });

    it('answers Graph errors as for sends: a permission error is a 502 naming it, nothing changes', async () => {
      const { view } = await comment('facebook');
      sandbox.failNext(1, { code: 200, message: '(#200) Permissions error' });
      const res = await api('POST', `/api/comments/${view.id}/hide`);
      expect(res.status).toBe(502);
      expect(res.body.message).toMatch(/lacks a permission/);
      expect((await api('GET', `/api/comments/${view.id}`)).body.hidden).toBe(false);
    });
  });

  it('fails a private reply on Graph 190 with the reconnect message and marks the connection expired; refuses with 409 before queuing once expired or disconnected', async () => {
    const expiring = await t.createOrganization('Expiring');
    const expiringPage = sandbox.addPage({ id: '513000000000099', name: 'Expiring Page' });
    await connectPage(t, sandbox, expiring.apiKey, expiringPage);
    const { comment: made } = await sandbox.postComment({ platform: 'facebook', pageId: expiringPage.id });
    const row = await eventually(() => rowOf(made.id), (r) => !!r);
    sandbox.expireToken(expiringPage.accessToken);

    const accepted = await api('POST', `/api/comments/${row.id}/private-reply`, { text: 'Hello' }, expiring.apiKey);
    expect(accepted.status).toBe(202);
    const failed = await eventually(() => api('GET', `/api/comments/${row.id}`, undefined, expiring.apiKey), (r) => r.body.privateReply?.status === 'failed');
    expect(failed.body.privateReply).toMatchObject({ error: ErrorMessages.connectionExpired, errorDetails: { code: 190 } });
    expect((await api('GET', '/api/meta/connection/status', undefined, expiring.apiKey)).body.status).toBe('expired');
    for (const [path, body] of [[`/api/comments/${row.id}/private-reply`, { text: 'Hi' }], [`/api/comments/${row.id}/replies`, { text: 'Hi' }], [`/api/comments/${row.id}/hide`]] as const) {
      const res = await api('POST', path, body, expiring.apiKey);
      expect([path, res.status, res.body.message]).toEqual([path, 409, ErrorMessages.connectionExpired]);
    }
    expect((await api('DELETE', '/api/meta/connection', undefined, expiring.apiKey)).status).toBeLessThan(300);
    const disconnected = await api('POST', `/api/comments/${row.id}/private-reply`, { text: 'Hi' }, expiring.apiKey);
    expect([disconnected.status, disconnected.body.message]).toEqual([409, ErrorMessages.notConnected]);
  });

  it("answers 404 for another organization's comment, a malformed id, and on every action", async () => {
    const { view } = await comment('facebook');
    for (const [method, path, body] of [
      ['GET', `/api/comments/${view.id}`],
      ['POST', `/api/comments/${view.id}/private-reply`, { text: 'x' }],
      ['POST', `/api/comments/${view.id}/replies`, { text: 'x' }],
      ['POST', `/api/comments/${view.id}/hide`],
      ['POST', `/api/comments/${view.id}/unhide`],
    ] as const) {
      const res = await api(method, path, body, other.apiKey);
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect((await api('GET', '/api/comments/not-a-uuid')).status).toBe(404);
    expect((await api('GET', '/api/comments', undefined, other.apiKey)).body.data).toEqual([]);
    expect((await api('GET', '/api/comments', undefined, 'wrong-key')).status).toBe(401);
    expect(sandbox.sent()).toEqual([]);
  });

  it('refuses an empty reply text with 400', async () => {
    const { view } = await comment('facebook');
    expect((await api('POST', `/api/comments/${view.id}/private-reply`, { text: '' })).status).toBe(400);
    expect((await api('POST', `/api/comments/${view.id}/replies`, {})).status).toBe(400);
  });

  it("applies Meta's recorded feed and Instagram comment payloads through the signed webhook, each redelivery changing nothing", async () => {
    const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, 'fixtures/webhooks', `${name}.json`), 'utf8'));
    const fixtureOrg = await t.createOrganization('Fixtures');
    await connectPage(t, sandbox, fixtureOrg.apiKey, sandbox.addPage({ id: '106700000000001', name: 'Fixture Page', instagram: { id: '17841400000000001', username: 'sandbox.coffee' } }));
    const list = async () => (await api('GET', '/api/comments?limit=100', undefined, fixtureOrg.apiKey)).body.data;
    for (const name of ['page-feed-comments', 'instagram-comments']) expect((await sandbox.postWebhook(fixture(name))).status).toBe(200);
    // The two deliveries' events are applied in their own time: wait for all of it, the replies too.
    const replied = (data: any[], externalId: string) => data.some((c) => c.externalId === externalId && c.replies.length === 1);
    const settled = await eventually(
      list,
      (data) =>
        data.length === 3 && data.some((c: any) => c.deletedAt !== null) && replied(data, '900000000000001_1200000000000001') && replied(data, '17860000000000001'),
    );
    const byId = new Map(settled.map((c: any) => [c.externalId, c]));
    expect(byId.get('900000000000001_1200000000000001')).toMatchObject({
      channel: 'facebook_messenger',
      text: 'Do you ship to Lisbon and Porto?',
      hidden: false,
      deletedAt: '2025-01-01T00:05:00.000Z',
      createdAt: '2025-01-01T00:01:40.000Z',
      replies: [{ id: expect.any(String), text: 'We do! Check your messages.', createdAt: expect.any(String) }],
    });
    expect(byId.get('17860000000000001')).toMatchObject({ channel: 'instagram_dm', text: 'Is this in stock?', replies: [{ text: 'Yes, in every size!' }] });
    expect(byId.get('17860000000000003')).toMatchObject({ channel: 'instagram_dm', postId: '17900000000000002' });

    const rows = async () => (await t.db.query(`SELECT id, text, hidden, deleted_at, updated_at FROM comments WHERE organization_id = $1 ORDER BY id`, [fixtureOrg.id])).rows;
    const replies = async () => (await t.db.query(`SELECT id, text FROM comment_replies WHERE organization_id = $1 ORDER BY id`, [fixtureOrg.id])).rows;
    const [before, repliesBefore] = [await rows(), await replies()];
    for (const name of ['page-feed-comments', 'instagram-comments']) expect((await sandbox.postWebhook(fixture(name))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 800));
    expect(await rows()).toEqual(before);
    expect(await replies()).toEqual(repliesBefore);
  });

  it('pages newest first with a keyset cursor, by channel', async () => {
    const base = Date.now() - DAY;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await comment('facebook', { postId: `${PAGE}_777`, createdTime: base + i * 1000, text: `page ${i}` })).view.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api('GET', `/api/comments?channel=facebook_messenger&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((c: any) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const ours = seen.filter((id) => made.includes(id));
    expect(ours).toEqual([...made].reverse());
    const all = (await api('GET', '/api/comments?limit=100')).body.data;
    const times = all.map((c: any) => Date.parse(c.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await api('GET', '/api/comments?channel=instagram_dm&limit=100')).body.data.every((c: any) => c.channel === 'instagram_dm')).toBe(true);
    expect((await api('GET', '/api/comments?cursor=bogus')).status).toBe(400);
  });
});
