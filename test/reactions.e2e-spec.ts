import { ErrorMessages } from '../src/common/domain-error';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { addFacebookIdentity, addInstagramIdentity, createContact, createConversation, createMessage } from './support/factories';
import { connectPage, startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

describe('reactions, sender actions and opening conversations', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let org: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    ({ t, sandbox, page, org } = await startWithConnectedPage({ id: '411', name: 'React Page', instagram: { id: '478', username: 'reacts' } }, 'Reacts'));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));
  beforeEach(() => sandbox.clear());

  async function socket(apiKey = org.apiKey) {
    const s = await RecordingSocket.connect(t.baseUrl, apiKey);
    sockets.push(s);
    return s;
  }

  async function conversation(channel: 'facebook_messenger' | 'instagram_dm', externalId: string, unreadCount = 0) {
    const contactId = await createContact(t.db, org.id);
    if (channel === 'facebook_messenger') await addFacebookIdentity(t.db, contactId, page.id, externalId);
    else await addInstagramIdentity(t.db, contactId, '478', externalId);
    const conversationId = await createConversation(t.db, contactId, { channel, lastInboundAt: new Date(), unreadCount });
    return { contactId, conversationId };
  }

  const react = (messageId: string, reaction: string, token = org.apiKey) =>
    t.request('POST', `/api/messages/${messageId}/reaction`, { token, body: { reaction } });

  describe('POST/DELETE /api/messages/:id/reaction', () => {
    it("reacts to a contact's Messenger message with the emoji, replaces the Page's reaction, keeps the contact's, and unreacts", async () => {
      const { conversationId } = await conversation('facebook_messenger', 'psid-r1');
      const contactReaction = { by: 'contact', reaction: 'wow', emoji: '😮' };
      const messageId = await createMessage(t.db, conversationId, { externalId: 'm_in_1', reactions: [contactReaction as never] });
      const events = await socket();

      const liked = await react(messageId, 'like');
      const loved = await react(messageId, 'love');

      expect(liked.status).toBe(200);
      expect(liked.body.reactions).toEqual([contactReaction, { by: 'page', reaction: 'like', emoji: '👍' }]);
      expect(loved.body.reactions).toEqual([contactReaction, { by: 'page', reaction: 'love', emoji: '❤️' }]);
      await expect(events.waitFor('message.updated', (m) => m.id === messageId && m.reactions.some((r: any) => r.reaction === 'love'))).resolves.toBeDefined();

      const removed = await t.request('DELETE', `/api/messages/${messageId}/reaction`, { token: org.apiKey });
      expect(removed.status).toBe(200);
      expect(removed.body.reactions).toEqual([contactReaction]);

      expect(sandbox.sent().map((s) => [s.path, s.body])).toEqual([
        ['/v21.0/me/messages', { recipient: { id: 'psid-r1' }, sender_action: 'react', payload: { message_id: 'm_in_1', reaction: '👍' } }],
        ['/v21.0/me/messages', { recipient: { id: 'psid-r1' }, sender_action: 'react', payload: { message_id: 'm_in_1', reaction: '❤️' } }],
        ['/v21.0/me/messages', { recipient: { id: 'psid-r1' }, sender_action: 'unreact', payload: { message_id: 'm_in_1' } }],
      ]);
    });

    it('passes an emoji to Messenger as given', async () => {
      const { conversationId } = await conversation('facebook_messenger', 'psid-r2');
      const messageId = await createMessage(t.db, conversationId, { externalId: 'm_in_2' });

      const res = await react(messageId, '🔥');

      expect(res.body.reactions).toEqual([{ by: 'page', reaction: 'other', emoji: '🔥' }]);
      expect(sandbox.sent()[0].body.payload).toEqual({ message_id: 'm_in_2', reaction: '🔥' });
    });

    it('sends "love" to Instagram and refuses the reactions Instagram does not accept with 422', async () => {
      const { conversationId } = await conversation('instagram_dm', 'igsid-r3');
      const messageId = await createMessage(t.db, conversationId, { externalId: 'aWdf_in_3' });

      const loved = await react(messageId, 'love');
      const liked = await react(messageId, 'like');

      expect(loved.status).toBe(200);
      expect(sandbox.sent().map((s) => [s.path, s.body])).toEqual([
        ['/v21.0/478/messages', { recipient: { id: 'igsid-r3' }, sender_action: 'react', payload: { message_id: 'aWdf_in_3', reaction: 'love' } }],
      ]);
      expect(liked.status).toBe(422);
      expect(liked.body.message).toMatch(/Instagram accepts only the love reaction/);
    });

    it('refuses outbound messages with 422, unknown reactions with 400, and hides other organizations with 404', async () => {
      const { conversationId } = await conversation('facebook_messenger', 'psid-r4');
      const outbound = await createMessage(t.db, conversationId, { direction: 'outbound', externalId: 'm_out_4' });
      const inbound = await createMessage(t.db, conversationId, { externalId: 'm_in_4' });
      const other = await t.createOrganization('Other');

      expect((await react(outbound, 'like')).status).toBe(422);
      expect((await react(inbound, 'thumbs')).status).toBe(400);
      expect((await react(inbound, 'like', other.apiKey)).status).toBe(404);
      expect((await react('not-a-uuid', 'like')).status).toBe(404);
      expect(sandbox.sent()).toHaveLength(0);
    });

    it('answers 409 and marks the connection expired when Meta says the token died', async () => {
      const otherPage = sandbox.addPage({ id: '412', name: 'Dying Page' });
      const other = await t.createOrganization('Dying');
      await connectPage(t, sandbox, other.apiKey, otherPage);
      const contactId = await createContact(t.db, other.id);
      await addFacebookIdentity(t.db, contactId, otherPage.id, 'psid-dying');
      const conversationId = await createConversation(t.db, contactId, { lastInboundAt: new Date() });
      const messageId = await createMessage(t.db, conversationId, { externalId: 'm_in_dying' });
      sandbox.expireToken(otherPage.accessToken);

      const res = await react(messageId, 'like', other.apiKey);

      expect(res.status).toBe(409);
      expect(res.body.message).toBe(ErrorMessages.connectionExpired);
      expect((await t.request('GET', '/api/meta/connection/status', { token: other.apiKey })).body.status).toBe('expired');
    });
  });

  describe('typing and seen', () => {
    it('sends typing_on and answers 204', async () => {
      const { conversationId } = await conversation('facebook_messenger', 'psid-t1');

      const res = await t.request('POST', `/api/conversations/${conversationId}/typing`, { token: org.apiKey });

      expect(res.status).toBe(204);
      expect(sandbox.sent().map((s) => s.body)).toEqual([{ recipient: { id: 'psid-t1' }, sender_action: 'typing_on' }]);
    });

    it('sends mark_seen on Instagram, clears the unread count and announces the conversation', async () => {
      const { conversationId } = await conversation('instagram_dm', 'igsid-t2', 3);
      const events = await socket();

      const res = await t.request('POST', `/api/conversations/${conversationId}/seen`, { token: org.apiKey });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: conversationId, unreadCount: 0 });
      expect(sandbox.sent().map((s) => [s.path, s.body])).toEqual([['/v21.0/478/messages', { recipient: { id: 'igsid-t2' }, sender_action: 'mark_seen' }]]);
      await expect(events.waitFor('conversation.updated', (c) => c.id === conversationId && c.unreadCount === 0)).resolves.toBeDefined();
    });

    it("hides another organization's conversation with 404", async () => {
      const { conversationId } = await conversation('facebook_messenger', 'psid-t3');
      const other = await t.createOrganization('Peeker');
      expect((await t.request('POST', `/api/conversations/${conversationId}/typing`, { token: other.apiKey })).status).toBe(404);
      expect((await t.request('POST', `/api/conversations/${conversationId}/seen`, { token: other.apiKey })).status).toBe(404);
    });
  });

  describe('POST /api/conversations', () => {
    it('opens a conversation for a known PSID once (201), then returns it (200), naming the new contact', async () => {
      const events = await socket();
      const body = { channel: 'facebook_messenger', participantExternalId: '24680135', participantName: 'Jane Doe' };

      const created = await t.request('POST', '/api/conversations', { token: org.apiKey, body });
      const again = await t.request('POST', '/api/conversations', { token: org.apiKey, body: { ...body, participantName: 'Someone Else' } });

      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ channel: 'facebook_messenger', contact: { displayName: 'Jane Doe' }, lastInboundAt: null, unreadCount: 0 });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: created.body.id, contact: { displayName: 'Jane Doe' } });
      await expect(events.waitFor('conversation.updated', (c) => c.id === created.body.id)).resolves.toBeDefined();
      const { rows } = await t.db.query('SELECT page_id, psid FROM contact_facebook WHERE contact_id = $1', [created.body.contactId]);
      expect(rows).toEqual([{ page_id: page.id, psid: '24680135' }]);

      // A contact who never wrote: Meta decides about the window, so the send goes out.
      const sent = await t.request('POST', '/api/messaging/send?wait=true', {
        token: org.apiKey,
        body: { channel: 'facebook_messenger', conversationId: created.body.id, text: 'Your order shipped' },
      });
      expect(sent.status).toBe(200);
      expect(sandbox.sent()[0].body.recipient).toEqual({ id: '24680135' });
    });

    it('opens an Instagram conversation for an IGSID on the linked account, and one per person under parallel calls', async () => {
      const body = { channel: 'instagram_dm', participantExternalId: '17841400000000099' };
      const answers = await Promise.all([1, 2, 3].map(() => t.request('POST', '/api/conversations', { token: org.apiKey, body })));

      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      const { rows } = await t.db.query('SELECT ig_account_id FROM contact_instagram WHERE igsid = $1', ['17841400000000099']);
      expect(rows).toEqual([{ ig_account_id: '478' }]);
    });

    it('refuses an organization without a connection with 409, and bad input with 400', async () => {
      const lonely = await t.createOrganization('Lonely');
      const refused = await t.request('POST', '/api/conversations', { token: lonely.apiKey, body: { channel: 'facebook_messenger', participantExternalId: '1' } });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe(ErrorMessages.notConnected);
      const invalid = await t.request('POST', '/api/conversations', { token: org.apiKey, body: { channel: 'sms', participantExternalId: '' } });
      expect(invalid.status).toBe(400);
    });
  });
});
