import { io } from 'socket.io-client';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { addFacebookIdentity, createContact, createContactWithConversation, createConversation, createMessage } from './support/factories';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { ADMIN_TOKEN, TestApp } from './support/test-app';

const ALLOWED_ORIGIN = 'https://app.example.com';

describe('the browser inbox API: scoped tokens, CORS, and inbox-shaped routes', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let org: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    ({ t, sandbox, page, org } = await startWithConnectedPage({ id: '151', name: 'Inbox Page' }, 'Acme', { CORS_ORIGINS: ALLOWED_ORIGIN }));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));

  const mint = async (body: object = {}, apiKey = org.apiKey) => {
    const res = await t.request('POST', '/api/auth/tokens', { token: apiKey, body });
    expect(res.status).toBe(201);
    return res.body as { token: string; expiresAt: string };
  };

  describe('POST /api/auth/tokens', () => {
    it('mints a token that lasts 15 minutes unless told otherwise, and at most 24 hours', async () => {
      const before = Date.now();
      const { token, expiresAt } = await mint();
      expect(typeof token).toBe('string');
      expect(new Date(expiresAt).getTime() - before).toBeGreaterThanOrEqual(15 * 60_000 - 1000);
      expect(new Date(expiresAt).getTime() - before).toBeLessThanOrEqual(15 * 60_000 + 5000);
      const day = await mint({ ttlSeconds: 86400 });
      expect(new Date(day.expiresAt).getTime() - before).toBeGreaterThan(86400_000 - 5000);
    });

    it.each([[{ ttlSeconds: 86401 }], [{ ttlSeconds: 0 }], [{ ttlSeconds: 1.5 }], [{ agent: { id: 'a1' } }], [{ agent: { id: '', name: 'Dana' } }], [{ scope: 'all' }]])(
      'refuses %j with a 400',
      async (body) => {
        const res = await t.request('POST', '/api/auth/tokens', { token: org.apiKey, body });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      },
    );

    it('needs the API key: 401 without one, 403 with a token', async () => {
      expect((await t.request('POST', '/api/auth/tokens', { body: {} })).status).toBe(401);
      const { token } = await mint();
      const res = await t.request('POST', '/api/auth/tokens', { token, body: {} });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    });
  });

  describe('where a token works', () => {
    it('opens the inbox routes of its own organization only', async () => {
      const { token } = await mint();
      const { contactId, conversationId } = await createContactWithConversation(t.db, org.id, { contact: { displayName: 'Jane Doe' } });
      await createMessage(t.db, conversationId, { text: 'hi' });
      for (const path of ['/api/conversations', `/api/conversations/${conversationId}`, `/api/conversations/${conversationId}/messages`, `/api/contacts/${contactId}`, '/api/contacts?query=jane', '/api/inbox/session', '/api/events?after=0', '/api/comments']) {
        const res = await t.request('GET', path, { token });
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
      const other = await t.createOrganization('Other');
      const { conversationId: theirs } = await createContactWithConversation(t.db, other.id);
      expect((await t.request('GET', `/api/conversations/${theirs}`, { token })).status).toBe(404);
    });

    it('is refused with 403 on webhooks, connection, token, stats and admin routes, where the API key works', async () => {
      const { token } = await mint();
      const routes: [string, string, object?][] = [
        ['GET', '/api/webhooks'],
        ['POST', '/api/webhooks', { url: 'https://crm.example.com/hook', events: ['*'] }],
        ['GET', '/api/meta/connection/status'],
        ['GET', '/api/meta/connection/oauth-url'],
        ['DELETE', '/api/meta/connection'],
        ['POST', '/api/auth/tokens', {}],
        ['GET', '/api/stats/messages?from=2026-01-01&to=2026-01-02'],
        ['GET', '/api/admin/system-config'],
        ['POST', '/api/admin/organizations', { name: 'x' }],
      ];
      for (const [method, path, body] of routes) {
        const res = await t.request(method, path, { token, body });
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
      }
      expect((await t.request('GET', '/api/meta/connection/status', { token: org.apiKey })).status).toBe(200);
      expect((await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN })).status).toBe(200);
    });

    it('answers 401 for a forged, altered or expired token', async () => {
      const { token } = await mint({ ttlSeconds: 1 });
      const [body, signature] = token.slice('mi_tok_'.length).split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      const otherOrg = Buffer.from(JSON.stringify({ ...claims, org: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
      const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400_000 })).toString('base64url');
      for (const forged of [`mi_tok_${otherOrg}.${signature}`, `mi_tok_${longer}.${signature}`, 'mi_tok_garbage', `${token}x`]) {
        expect((await t.request('GET', '/api/conversations', { token: forged })).status).toBe(401);
        // Not genuine, so not "valid elsewhere" either: 401, not 403.
        expect((await t.request('GET', '/api/meta/connection/status', { token: forged })).status).toBe(401);
      }
      await new Promise((r) => setTimeout(r, 1100));
      const expired = await t.request('GET', '/api/conversations', { token });
      expect(expired.status).toBe(401);
      expect(expired.body.message).toMatch(/expired/);
    });

    it('tells the page who it is and the state of the connection', async () => {
      const { token, expiresAt } = await mint({ agent: { id: 'u1', name: 'Dana' } });
      const session = await t.request('GET', '/api/inbox/session', { token });
      expect(session.body).toEqual({
        organizationId: org.id,
        agent: { id: 'u1', name: 'Dana' },
        expiresAt,
        connection: expect.objectContaining({ connected: true, status: 'active', pageId: page.id }),
      });
      const withKey = await t.request('GET', '/api/inbox/session', { token: org.apiKey });
      expect(withKey.body).toMatchObject({ organizationId: org.id, agent: null, expiresAt: null });
    });
  });

  describe('socket.io with a token', () => {
    it('joins the organization room, and is disconnected when the token expires', async () => {
      const { token } = await mint({ ttlSeconds: 2 });
      const socket = await RecordingSocket.connect(t.baseUrl, token);
      sockets.push(socket);
      const { conversationId } = await createContactWithConversation(t.db, org.id, { unreadCount: 3 });
      await t.request('POST', `/api/conversations/${conversationId}/read`, { token: org.apiKey });
      await socket.waitFor('conversation.updated', (c) => c.id === conversationId);
      const reason = await new Promise<string>((resolve) => socket.socket.once('disconnect', resolve));
      expect(reason).toBe('io server disconnect');
    });

    it('refuses an expired or forged token', async () => {
      const { token } = await mint({ ttlSeconds: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      await expect(RecordingSocket.connect(t.baseUrl, token)).rejects.toThrow('unauthorized');
      await expect(RecordingSocket.connect(t.baseUrl, 'mi_tok_abc.def')).rejects.toThrow('unauthorized');
    });
  });

  describe('CORS_ORIGINS', () => {
    it('lets a listed origin read REST answers, and no other', async () => {
      const preflight = await fetch(`${t.baseUrl}/api/conversations`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      const listed = await fetch(`${t.baseUrl}/api/conversations`, { headers: { origin: ALLOWED_ORIGIN, authorization: `Bearer ${org.apiKey}` } });
      expect(listed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      const other = await fetch(`${t.baseUrl}/api/conversations`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${org.apiKey}` } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('opens sockets from a listed origin or the service itself, and refuses others', async () => {
      const connect = (origin: string) =>
        new Promise<string>((resolve) => {
          const socket = io(t.baseUrl, { auth: { token: org.apiKey }, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin } });
          socket.once('connect', () => {
            socket.close();
            resolve('connected');
          });
          socket.once('connect_error', () => {
            socket.close();
            resolve('refused');
          });
        });
      expect(await connect(ALLOWED_ORIGIN)).toBe('connected');
      expect(await connect(t.baseUrl)).toBe('connected');
      expect(await connect('https://evil.example')).toBe('refused');
    });
  });

  describe('inbox-shaped routes', () => {
    it('GET /api/conversations/:id answers the conversation, 404 for an unknown or malformed id', async () => {
      const { conversationId, contactId } = await createContactWithConversation(t.db, org.id, { contact: { displayName: 'Ann' }, unreadCount: 2 });
      const res = await t.request('GET', `/api/conversations/${conversationId}`, { token: org.apiKey });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: conversationId, contactId, contact: { id: contactId, displayName: 'Ann' }, unreadCount: 2, channel: 'facebook_messenger' });
      expect((await t.request('GET', '/api/conversations/00000000-0000-4000-8000-000000000000', { token: org.apiKey })).status).toBe(404);
      expect((await t.request('GET', '/api/conversations/nope', { token: org.apiKey })).status).toBe(404);
    });

    it('pages messages from the newest backwards with order=desc, without gaps or repeats', async () => {
      const { conversationId } = await createContactWithConversation(t.db, org.id);
      const base = Date.parse('2026-06-01T10:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push(await createMessage(t.db, conversationId, { text: `m${i}`, sentAt: new Date(base + (i < 4 ? i : 3) * 1000) }));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await t.request('GET', `/api/conversations/${conversationId}/messages?order=desc&limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: org.apiKey });
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((m: any) => m.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
      const asc = await t.request('GET', `/api/conversations/${conversationId}/messages?limit=100`, { token: org.apiKey });
      expect(seen).toEqual(asc.body.data.map((m: any) => m.id).reverse());
      expect(seen.slice(0, 3)).not.toContain(ids[0]);
      expect((await t.request('GET', `/api/conversations/${conversationId}/messages?order=newest`, { token: org.apiKey })).status).toBe(400);
    });

    it('POST /api/conversations/:id/read clears unreadCount and announces it, without calling Meta', async () => {
      const contactId = await createContact(t.db, org.id, { displayName: 'Bo' });
      await addFacebookIdentity(t.db, contactId, page.id, 'psid-read-1');
      const conversationId = await createConversation(t.db, contactId, { unreadCount: 4, lastInboundAt: new Date() });
      const { token } = await mint();
      const socket = await RecordingSocket.connect(t.baseUrl, token);
      sockets.push(socket);
      sandbox.clear();
      const res = await t.request('POST', `/api/conversations/${conversationId}/read`, { token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: conversationId, unreadCount: 0 });
      await expect(socket.waitFor('conversation.updated', (c) => c.id === conversationId)).resolves.toMatchObject({ unreadCount: 0 });
      expect((await t.db.query('SELECT unread_count FROM conversations WHERE id = $1', [conversationId])).rows[0].unread_count).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(sandbox.requests.filter((r) => r.path.includes('/messages'))).toEqual([]);
      expect((await t.request('POST', '/api/conversations/00000000-0000-4000-8000-000000000000/read', { token })).status).toBe(404);
    });

    it('GET /api/contacts?query= finds contacts by any part of a name or username, any case', async () => {
      const search = await t.createOrganization('Search');
      const maria = await createContact(t.db, search.id, { displayName: 'María López', firstName: 'María', lastName: 'López' });
      const carl = await createContact(t.db, search.id, { displayName: null, firstName: 'Carl', lastName: 'Sagan' });
      const ig = await createContact(t.db, search.id, { username: 'coffee_lover' });
      await createContact(t.db, search.id, { displayName: '100% real' });
      const { token } = await mint({}, search.apiKey);
      const find = async (q: string) => {
        const res = await t.request('GET', `/api/contacts?query=${encodeURIComponent(q)}`, { token });
        expect(res.status).toBe(200);
        return res.body.data.map((c: any) => c.id);
      };
      expect(await find('maría')).toEqual([maria]);
      expect(await find('carl sag')).toEqual([carl]);
      expect(await find('LOVER')).toEqual([ig]);
      expect(await find('_')).toEqual([ig]);
      expect(await find('0%')).toHaveLength(1);
      expect(await find('nobody')).toEqual([]);
      const all = await t.request('GET', '/api/contacts?limit=2', { token });
      expect(all.body.data).toHaveLength(2);
      expect(all.body.nextCursor).toEqual(expect.any(String));
      const rest = await t.request('GET', `/api/contacts?limit=2&cursor=${all.body.nextCursor}`, { token });
      expect(new Set([...all.body.data, ...rest.body.data].map((c: any) => c.id)).size).toBe(4);
      expect(all.body.data[0]).toMatchObject({ identities: [], signals: expect.any(Object) });
    });
  });

  describe('sends with an agent token', () => {
    it('record agent {id, name} on every message the send makes; API-key sends have none', async () => {
      const contactId = await createContact(t.db, org.id, { displayName: 'Cy' });
      await addFacebookIdentity(t.db, contactId, page.id, 'psid-agent-1');
      const conversationId = await createConversation(t.db, contactId, { lastInboundAt: new Date() });
      const upload = new FormData();
      upload.append('file', new Blob([Buffer.from('GIF89a')], { type: 'image/gif' }), 'a.gif');
      const { token } = await mint({ agent: { id: 'u7', name: 'Dana' } });
      const uploaded = await fetch(`${t.baseUrl}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: upload });
      expect(uploaded.status).toBe(201);
      const attachment = (await uploaded.json()) as { id: string };
      const res = await t.request('POST', '/api/messaging/send?wait=true', {
        token,
        body: { channel: 'facebook_messenger', conversationId, text: 'On it!', attachmentIds: [attachment.id] },
      });
      expect(res.status).toBe(200);
      expect(res.body.messages.map((m: any) => m.agent)).toEqual([
        { id: 'u7', name: 'Dana' },
        { id: 'u7', name: 'Dana' },
      ]);
      const listed = await t.request('GET', `/api/conversations/${conversationId}/messages`, { token });
      expect(listed.body.data.map((m: any) => [m.status, m.agent?.name])).toEqual([
        ['published', 'Dana'],
        ['published', 'Dana'],
      ]);
      const byKey = await t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', conversationId, text: 'key' } });
      expect(byKey.body.messages[0].agent).toBeNull();
    });
  });
});
