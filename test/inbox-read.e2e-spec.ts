import { encodeCursor } from '../src/common/cursor';
import { createAttachment, createContactWithConversation, createMessage } from './support/factories';
import { TestApp } from './support/test-app';

type Org = { id: string; apiKey: string };

describe('inbox read API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start({ PUBLIC_URL: 'https://inbox.example' });
  });
  afterAll(() => t.close());

  /** Follows nextCursor to the end; returns every item's id in the order served. */
  async function readAll(path: string, apiKey: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const url: string = `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res: { status: number; body: any } = await t.request('GET', url, { token: apiKey });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      ids.push(...res.body.data.map((item: { id: string }) => item.id));
      cursor = res.body.nextCursor;
      pages += 1;
      if (pages > 100) throw new Error('paging does not end');
    } while (cursor);
    return { ids, pages };
  }

  describe('GET /api/conversations', () => {
    let acme: Org;
    let other: Org;
    const made: Record<string, string> = {};

    beforeAll(async () => {
      acme = await t.createOrganization('Acme');
      other = await t.createOrganization('Other');
      const specs = [
        ['old', 'facebook_messenger', '2025-01-01T10:00:00.000Z'],
        ['newest', 'instagram_dm', '2025-01-03T10:00:00.000Z'],
        ['middle', 'facebook_messenger', '2025-01-02T10:00:00.000Z'],
        ['middleIg', 'instagram_dm', '2025-01-02T09:00:00.000Z'],
      ] as const;
      for (const [name, channel, at] of specs) {
        const { conversationId } = await createContactWithConversation(t.db, acme.id, {
          channel,
          lastMessageAt: at,
          lastInboundAt: at,
          unreadCount: 2,
          contact: { displayName: `Contact ${name}`, avatarUrl: `https://cdn.example/${name}.jpg` },
        });
        made[name] = conversationId;
      }
      await createContactWithConversation(t.db, other.id, { lastMessageAt: '2025-01-05T00:00:00.000Z' });
    });

    it("lists only the caller's conversations, newest activity first, with the contact", async () => {
      const res = await t.request('GET', '/api/conversations', { token: acme.apiKey });
      expect(res.status).toBe(200);
      expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([made.newest, made.middle, made.middleIg, made.old]);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.data[0]).toEqual({
        id: made.newest,
        channel: 'instagram_dm',
        contactId: expect.any(String),
        contact: { id: res.body.data[0].contactId, displayName: 'Contact newest', avatarUrl: 'https://cdn.example/newest.jpg' },
        lastInboundAt: '2025-01-03T10:00:00.000Z',
        lastMessageAt: '2025-01-03T10:00:00.000Z',
        unreadCount: 2,
        createdAt: expect.any(String),
      });
    });

    it('filters by channel', async () => {
      const ig = await t.request('GET', '/api/conversations?channel=instagram_dm', { token: acme.apiKey });
      expect(ig.body.data.map((c: { id: string }) => c.id)).toEqual([made.newest, made.middleIg]);
      const fb = await t.request('GET', '/api/conversations?channel=facebook_messenger', { token: acme.apiKey });
      expect(fb.body.data.map((c: { id: string }) => c.id)).toEqual([made.middle, made.old]);
    });

    it('refuses an unknown channel with 400 naming the field', async () => {
      const res = await t.request('GET', '/api/conversations?channel=whatsapp', { token: acme.apiKey });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('channel');
    });

    it.each(['0', '101', '-1', '2.5', 'ten'])('refuses limit=%s with 400', async (limit) => {
      const res = await t.request('GET', `/api/conversations?limit=${limit}`, { token: acme.apiKey });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('limit');
    });

    it.each([
      ['garbage', 'not*a*cursor'],
      ['base64 of nonsense', Buffer.from('{"a":1}').toString('base64url')],
      ['a cursor with a non-uuid id', Buffer.from('["1","x"]').toString('base64url')],
    ])('refuses %s as a cursor with 400', async (_, cursor) => {
      const res = await t.request('GET', `/api/conversations?cursor=${encodeURIComponent(cursor)}`, { token: acme.apiKey });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('cursor') });
    });

    it('refuses an unknown query parameter with 400', async () => {
      const res = await t.request('GET', '/api/conversations?sort=asc', { token: acme.apiKey });
      expect(res.status).toBe(400);
    });

    it('answers 401 without a valid API key', async () => {
      expect((await t.request('GET', '/api/conversations')).status).toBe(401);
      expect((await t.request('GET', '/api/conversations', { token: 'mi_live_wrong' })).status).toBe(401);
    });
  });

  describe('paging conversations', () => {
    let org: Org;
    let expected: string[];

    beforeAll(async () => {
      org = await t.createOrganization('Busy');
      // 45 conversations: runs of equal timestamps, and neighbours a microsecond apart, so a
      // cursor that kept only milliseconds or ignored the id would skip or repeat rows.
      const stamps: string[] = [];
      for (let i = 0; i < 15; i++) {
        const second = String(10 + Math.floor(i / 3)).padStart(2, '0');
        stamps.push(`2025-02-01T12:00:${second}.000000Z`, `2025-02-01T12:00:${second}.000000Z`, `2025-02-01T12:00:${second}.000001Z`);
      }
      await Promise.all(
        stamps.map((at, i) =>
          createContactWithConversation(t.db, org.id, { lastMessageAt: at, channel: i % 2 ? 'instagram_dm' : 'facebook_messenger' }),
        ),
      );
      const { rows } = await t.db.query('SELECT id FROM conversations WHERE organization_id = $1 ORDER BY last_message_at DESC, id DESC', [org.id]);
      expected = rows.map((r) => r.id);
    });

    it.each([1, 4, 7, 45, 100])('serves every conversation exactly once, in order, with limit=%i', async (limit) => {
      const { ids, pages } = await readAll('/api/conversations', org.apiKey, limit);
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(45);
      // The last page says so itself (no trailing empty page).
      expect(pages).toBe(Math.ceil(45 / limit));
    });

    it('pages within a channel filter', async () => {
      const { rows } = await t.db.query(
        `SELECT id FROM conversations WHERE organization_id = $1 AND channel = 'instagram_dm' ORDER BY last_message_at DESC, id DESC`,
        [org.id],
      );
      const { ids } = await readAll('/api/conversations?channel=instagram_dm', org.apiKey, 5);
      expect(ids).toEqual(rows.map((r) => r.id));
    });

    it('serves 20 by default', async () => {
      const res = await t.request('GET', '/api/conversations', { token: org.apiKey });
      expect(res.body.data).toHaveLength(20);
      expect(res.body.nextCursor).toEqual(expect.any(String));
    });

    it('does not repeat a page when a new conversation arrives between pages', async () => {
      const first = await t.request('GET', '/api/conversations?limit=10', { token: org.apiKey });
      await createContactWithConversation(t.db, org.id, { lastMessageAt: '2025-03-01T00:00:00.000Z' });
      const second = await t.request('GET', `/api/conversations?limit=10&cursor=${first.body.nextCursor}`, { token: org.apiKey });
      expect(second.body.data.map((c: { id: string }) => c.id)).toEqual(expected.slice(10, 20));
    });
  });

  describe('GET /api/conversations/:id/messages', () => {
    let acme: Org;
    let other: Org;
    let conversationId: string;
    let otherConversationId: string;
    let expected: string[];
    let withAttachments: string;

    beforeAll(async () => {
      acme = await t.createOrganization('Messages Co');
      other = await t.createOrganization('Elsewhere');
      ({ conversationId } = await createContactWithConversation(t.db, acme.id, { unreadCount: 3, lastMessageAt: '2025-04-01T10:00:05Z' }));
      ({ conversationId: otherConversationId } = await createContactWithConversation(t.db, other.id));
      // Inserted out of order; several share a platform timestamp.
      const stamps = [
        '2025-04-01T10:00:03.000000Z',
        '2025-04-01T10:00:01.000000Z',
        '2025-04-01T10:00:02.000000Z',
        '2025-04-01T10:00:02.000000Z',
        '2025-04-01T10:00:02.000001Z',
        '2025-04-01T10:00:02.000000Z',
        '2025-04-01T10:00:04.000000Z',
        '2025-04-01T10:00:01.000000Z',
        '2025-04-01T10:00:05.000000Z',
      ];
      for (const [i, sentAt] of stamps.entries()) {
        await createMessage(t.db, conversationId, { sentAt, text: `m${i}`, direction: i % 3 === 0 ? 'outbound' : 'inbound', externalId: `mid.${i}` });
      }
      withAttachments = await createMessage(t.db, conversationId, {
        sentAt: '2025-04-01T10:00:06Z',
        text: null,
        externalId: 'mid.att',
        replyToExternalId: 'mid.0',
        reactions: [{ by: 'page', reaction: 'love', emoji: '❤' }],
      });
      await createAttachment(t.db, withAttachments, { type: 'image', mimeType: 'image/jpeg', size: 2048, storageKey: 'photo-key' });
      await createAttachment(t.db, withAttachments, { type: 'fallback', status: 'unavailable', mimeType: null, size: null, storageKey: null });
      await createMessage(t.db, otherConversationId, { text: 'not yours' });
      const { rows } = await t.db.query('SELECT id FROM messages WHERE conversation_id = $1 ORDER BY sent_at, id', [conversationId]);
      expected = rows.map((r) => r.id);
    });

    it('lists messages in platform time order with their attachments', async () => {
      const res = await t.request('GET', `/api/conversations/${conversationId}/messages`, { token: acme.apiKey });
      expect(res.status).toBe(200);
      expect(res.body.data.map((m: { id: string }) => m.id)).toEqual(expected);
      expect(res.body.nextCursor).toBeNull();
      const sentAts = res.body.data.map((m: { sentAt: string }) => m.sentAt);
      expect([...sentAts].sort()).toEqual(sentAts);
      const last = res.body.data[res.body.data.length - 1];
      expect(last).toMatchObject({
        id: withAttachments,
        conversationId,
        channel: 'facebook_messenger',
        direction: 'inbound',
        sender: 'contact',
        status: 'received',
        text: null,
        externalId: 'mid.att',
        replyToExternalId: 'mid.0',
        reactions: [{ by: 'page', reaction: 'love', emoji: '❤' }],
        sentAt: '2025-04-01T10:00:06.000Z',
        deliveredAt: null,
        readAt: null,
        editedAt: null,
        deletedAt: null,
        errorDetails: null,
        error: null,
        createdAt: expect.any(String),
      });
      expect(last.attachments).toHaveLength(2);
      const image = last.attachments.find((a: { type: string }) => a.type === 'image');
      expect(image).toEqual({
        id: expect.any(String),
        type: 'image',
        mimeType: 'image/jpeg',
        size: 2048,
        url: expect.stringMatching(/^https:\/\/inbox\.example\/files\/photo-key\?expires=\d+&signature=[\w-]+$/),
        expiresAt: null,
        expired: false,
      });
      expect(last.attachments.find((a: { type: string }) => a.type === 'fallback')).toMatchObject({ url: null, mimeType: null, size: null });
      expect(res.body.data[0].attachments).toEqual([]);
    });

    it.each([1, 2, 3, 10])('serves every message exactly once, in order, with limit=%i', async (limit) => {
      const { ids } = await readAll(`/api/conversations/${conversationId}/messages`, acme.apiKey, limit);
      expect(ids).toEqual(expected);
    });

    it('does not reset the unread count', async () => {
      await t.request('GET', `/api/conversations/${conversationId}/messages`, { token: acme.apiKey });
      const list = await t.request('GET', '/api/conversations', { token: acme.apiKey });
      expect(list.body.data.find((c: { id: string }) => c.id === conversationId).unreadCount).toBe(3);
    });

    it.each([
      ["another organization's conversation", () => otherConversationId],
      ['an unknown id', () => '00000000-0000-4000-8000-000000000000'],
      ['a malformed id', () => 'not-a-uuid'],
    ])('answers 404 for %s', async (_, id) => {
      const res = await t.request('GET', `/api/conversations/${id()}/messages`, { token: acme.apiKey });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    });

    it("cannot reach another organization's messages with a crafted cursor", async () => {
      const cursor = encodeCursor({ micros: '0', id: '00000000-0000-4000-8000-000000000000' });
      const res = await t.request('GET', `/api/conversations/${otherConversationId}/messages?cursor=${cursor}`, { token: acme.apiKey });
      expect(res.status).toBe(404);
    });

    it('refuses a bad cursor and an out-of-range limit with 400', async () => {
      expect((await t.request('GET', `/api/conversations/${conversationId}/messages?cursor=%%%`, { token: acme.apiKey })).status).toBe(400);
      expect((await t.request('GET', `/api/conversations/${conversationId}/messages?limit=1000`, { token: acme.apiKey })).status).toBe(400);
    });

    it('answers 401 without a valid API key', async () => {
      expect((await t.request('GET', `/api/conversations/${conversationId}/messages`)).status).toBe(401);
    });
  });

  it('documents the read routes in OpenAPI with their views', async () => {
    const res = await t.request('GET', '/docs-json');
    const list = res.body.paths['/api/conversations'].get;
    expect(list.responses['200'].content['application/json'].schema.$ref).toContain('ConversationPageView');
    const messages = res.body.paths['/api/conversations/{id}/messages'].get;
    expect(messages.responses['200'].content['application/json'].schema.$ref).toContain('MessagePageView');
  });
});
