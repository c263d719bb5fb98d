import { createHmac } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetaSandbox } from './meta-sandbox';

const proof = (token: string, secret = 'sandbox-app-secret') => createHmac('sha256', secret).update(token).digest('hex');

describe('MetaSandbox', () => {
  let sandbox: MetaSandbox;
  const graph = async (method: string, path: string, params: Record<string, string> = {}, body?: unknown) => {
    const url = new URL(`${sandbox.url}/v21.0/${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { method, redirect: 'manual', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  const withToken = (token: string, extra: Record<string, string> = {}) => ({ access_token: token, appsecret_proof: proof(token), ...extra });

  beforeEach(async () => {
    sandbox = await MetaSandbox.start();
  });
  afterEach(() => sandbox.stop());

  it('runs the Facebook Login flow: dialog, code, long-lived token, Pages with Instagram', async () => {
    const page = sandbox.addPage({ id: '111', name: 'Blue Bottle', instagram: { id: '17841400000000001', username: 'bluebottle' } });
    const dialog = await graph('GET', 'dialog/oauth', { client_id: sandbox.appId, redirect_uri: 'http://app.test/cb', state: 'xyz', scope: 'pages_messaging' });
    expect(dialog.status).toBe(302);
    const location = new URL(dialog.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('xyz');
    const code = location.searchParams.get('code')!;

    const exchange = { client_id: sandbox.appId, client_secret: sandbox.appSecret, redirect_uri: 'http://app.test/cb', code };
    const short = await graph('GET', 'oauth/access_token', exchange);
    expect(short.status).toBe(200);
    const again = await graph('GET', 'oauth/access_token', exchange);
    expect(again.body.error).toMatchObject({ code: 100, error_subcode: 36009, type: 'OAuthException', fbtrace_id: expect.any(String) });

    const long = await graph('GET', 'oauth/access_token', { grant_type: 'fb_exchange_token', client_id: sandbox.appId, client_secret: sandbox.appSecret, fb_exchange_token: short.body.access_token });
    expect(long.body).toMatchObject({ access_token: expect.any(String), token_type: 'bearer' });

    const accounts = await graph('GET', 'me/accounts', withToken(long.body.access_token));
    expect(accounts.body.data).toEqual([expect.objectContaining({ id: '111', name: 'Blue Bottle', access_token: page.accessToken, tasks: expect.arrayContaining(['MESSAGING']) })]);
    const ig = await graph('GET', '111', withToken(page.accessToken, { fields: 'instagram_business_account{id,username}' }));
    expect(ig.body).toEqual({ id: '111', instagram_business_account: { id: '17841400000000001', username: 'bluebottle' } });
  });

  it('refuses a wrong secret or a redirect_uri other than the dialog one', async () => {
    sandbox.addPage({ id: '111', name: 'P' });
    const dialog = await graph('GET', 'dialog/oauth', { client_id: sandbox.appId, redirect_uri: 'http://app.test/cb', state: 's' });
    const code = new URL(dialog.headers.get('location')!).searchParams.get('code')!;
    const wrongSecret = await graph('GET', 'oauth/access_token', { client_id: sandbox.appId, client_secret: 'nope', redirect_uri: 'http://app.test/cb', code });
    expect(wrongSecret.status).toBe(400);
    const wrongUri = await graph('GET', 'oauth/access_token', { client_id: sandbox.appId, client_secret: sandbox.appSecret, redirect_uri: 'http://evil.test/cb', code });
    expect(wrongUri.body.error.error_subcode).toBe(36008);
  });

  it('requires a valid appsecret_proof with a Page token and answers 190 once the token is expired', async () => {
    const page = sandbox.addPage({ id: '111', name: 'P' });
    expect((await graph('GET', '111', { access_token: page.accessToken })).body.error).toMatchObject({ code: 100 });
    expect((await graph('GET', '111', { access_token: page.accessToken, appsecret_proof: proof(page.accessToken, 'other') })).body.error.message).toContain('Invalid appsecret_proof');
    expect((await graph('GET', '111', withToken(page.accessToken))).body).toEqual({ id: '111', name: 'P' });
    sandbox.expireToken(page.accessToken);
    const expired = await graph('GET', '111', withToken(page.accessToken));
    expect(expired.status).toBe(400);
    expect(expired.body.error.code).toBe(190);
  });

  it('subscribes and unsubscribes the app, checking subscribed_fields', async () => {
    const page = sandbox.addPage({ id: '111', name: 'P' });
    const bad = await graph('POST', '111/subscribed_apps', withToken(page.accessToken, { subscribed_fields: 'messages,nonsense' }));
    expect(bad.body.error.code).toBe(100);
    const ok = await graph('POST', '111/subscribed_apps', withToken(page.accessToken, { subscribed_fields: 'messages,message_echoes' }));
    expect(ok.body).toEqual({ success: true });
    expect(sandbox.subscribedFields('111')).toEqual(['messages', 'message_echoes']);
    expect((await graph('GET', '111/subscribed_apps', withToken(page.accessToken))).body.data[0].subscribed_fields).toEqual(['messages', 'message_echoes']);
    await graph('DELETE', '111/subscribed_apps', withToken(page.accessToken));
    expect(sandbox.subscribedFields('111')).toBeUndefined();
  });

  it('answers profiles, and error 100/33 for unknown ids', async () => {
    const page = sandbox.addPage({ id: '111', name: 'P' });
    sandbox.addProfile('psid-1', { first_name: 'Ada', last_name: 'L', profile_pic: 'http://x/p.jpg' });
    expect((await graph('GET', 'psid-1', withToken(page.accessToken, { fields: 'first_name,last_name' }))).body).toEqual({ id: 'psid-1', first_name: 'Ada', last_name: 'L' });
    const unknown = await graph('GET', 'psid-2', withToken(page.accessToken, { fields: 'first_name' }));
    expect(unknown.body.error).toMatchObject({ code: 100, error_subcode: 33 });
  });

  describe('Send API', () => {
    let page: ReturnType<MetaSandbox['addPage']>;
    let files: Server;
    let filesUrl: string;
    beforeEach(async () => {
      page = sandbox.addPage({ id: '111', name: 'P', instagram: { id: '178', username: 'p' } });
      files = createServer((req, res) => (req.url === '/ok.png' ? res.writeHead(200, { 'content-type': 'image/png' }).end('PNG') : res.writeHead(403).end()));
      await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
      filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise((r) => files.close(r)));

    it('sends text on Messenger and Instagram with Meta-like message ids', async () => {
      const fb = await graph('POST', 'me/messages', withToken(page.accessToken), { recipient: { id: 'psid-1' }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
      expect(fb.body).toEqual({ recipient_id: 'psid-1', message_id: expect.stringMatching(/^m_/) });
      const ig = await graph('POST', '178/messages', withToken(page.accessToken), { recipient: { id: 'igsid-1' }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
      expect(ig.body.message_id).toMatch(/^aWdf/);
      expect(sandbox.sent().map((s) => [s.pageId, s.instagramAccountId, s.recipientId])).toEqual([['111', undefined, 'psid-1'], ['111', '178', 'igsid-1']]);
    });

    it('requires messaging_type', async () => {
      const res = await graph('POST', 'me/messages', withToken(page.accessToken), { recipient: { id: 'psid-1' }, message: { text: 'hi' } });
      expect(res.body.error.code).toBe(100);
      expect(sandbox.sent()).toHaveLength(0);
    });

    it('fetches attachment URLs and refuses ones it cannot fetch', async () => {
      const send = (url: string) => graph('POST', '111/messages', withToken(page.accessToken), { recipient: { id: 'psid-1' }, messaging_type: 'RESPONSE', message: { attachment: { type: 'image', payload: { url, is_reusable: false } } } });
      expect((await send(`${filesUrl}/ok.png`)).body.message_id).toMatch(/^m_/);
      expect(sandbox.sent()[0].fetched).toEqual({ contentType: 'image/png', size: 3 });
      const failed = await send(`${filesUrl}/private.png`);
      expect(failed.body.error).toMatchObject({ code: 100, error_subcode: 2018008, message: '(#100) Failed to fetch the file from the url' });
    });

    const message = (body: Record<string, unknown>, path = 'me/messages') =>
      graph('POST', path, withToken(page.accessToken), { recipient: { id: 'psid-1' }, messaging_type: 'RESPONSE', message: body });
    const qr = (n: number, title = 'ok', payload = 'P') => Array.from({ length: n }, () => ({ content_type: 'text', title, payload }));
    const template = (payload: Record<string, unknown>) => ({ attachment: { type: 'template', payload: { template_type: 'button', ...payload } } });
    const postback = { type: 'postback', title: 'Yes', payload: 'YES' };

    it('checks quick replies as Meta does: 1 to 13, title ≤ 20, payload ≤ 1000; Instagram only under a text', async () => {
      expect((await message({ text: 'pick', quick_replies: qr(13) })).status).toBe(200);
      expect((await message({ ...template({ text: 'pick', buttons: [postback] }), quick_replies: qr(1) })).status).toBe(200);
      for (const refused of [
        { text: 'pick', quick_replies: qr(14) },
        { text: 'pick', quick_replies: [] },
        { text: 'pick', quick_replies: qr(1, 'x'.repeat(21)) },
        { text: 'pick', quick_replies: qr(1, 'ok', 'p'.repeat(1001)) },
        { text: 'pick', quick_replies: [{ content_type: 'sticker', title: 'a', payload: 'b' }] },
      ]) {
        expect((await message(refused)).body.error).toMatchObject({ code: 100, type: 'OAuthException' });
      }
      const ig = await message({ ...template({ text: 'pick', buttons: [postback] }), quick_replies: qr(1) }, '178/messages');
      expect(ig.body.error.message).toMatch(/only supported with a text message on Instagram/);
      expect(sandbox.sent()).toHaveLength(2);
    });

    it('checks the button template: a text ≤ 640 and 1 to 3 postback or web_url buttons', async () => {
      expect((await message(template({ text: 'go', buttons: [postback, { type: 'web_url', title: 'Site', url: 'https://x.example' }] }), '178/messages')).status).toBe(200);
      for (const refused of [
        template({ text: 'z'.repeat(641), buttons: [postback] }),
        template({ text: 'go', buttons: [] }),
        template({ text: 'go', buttons: [postback, postback, postback, postback] }),
        template({ text: 'go', buttons: [{ type: 'postback', title: 'Yes' }] }),
        template({ text: 'go', buttons: [{ type: 'web_url', title: 'Site', url: 'not a url' }] }),
        template({ text: 'go', buttons: [{ type: 'phone_number', title: 'Call', payload: '+1' }] }),
        { attachment: { type: 'template', payload: { template_type: 'receipt' } } },
      ]) {
        expect((await message(refused)).body.error).toMatchObject({ code: 100 });
      }
      expect(sandbox.sent()).toHaveLength(1);
    });

    it('saves a file sent with is_reusable for its Page and platform, and refuses another Page\'s, an expired or an unknown id', async () => {
      const saved = await message({ attachment: { type: 'image', payload: { url: `${filesUrl}/ok.png`, is_reusable: true } } });
      const id = saved.body.attachment_id;
      expect(saved.body).toEqual({ recipient_id: 'psid-1', message_id: expect.any(String), attachment_id: expect.stringMatching(/^\d+$/) });
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: id } } })).status).toBe(200);
      expect(sandbox.sent()[1]).toMatchObject({ attachmentId: id, fetched: undefined });

      const other = sandbox.addPage({ id: '222', name: 'Other' });
      const theirs = await graph('POST', 'me/messages', withToken(other.accessToken), { recipient: { id: 'psid-9' }, messaging_type: 'RESPONSE', message: { attachment: { type: 'image', payload: { attachment_id: id } } } });
      expect(theirs.body.error).toMatchObject({ code: 100, error_subcode: 2018047 });
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: id } } }, '178/messages')).body.error.code).toBe(100);
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: '999' } } })).body.error.code).toBe(100);
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: id, url: `${filesUrl}/ok.png` } } })).body.error.code).toBe(100);

      expect(sandbox.expireAttachments([id])).toBe(1);
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: id } } })).body.error).toMatchObject({ code: 100, error_subcode: 2018047 });
    });

    it('saves a file through the Attachment Upload API, per platform', async () => {
      const upload = (platform?: string) =>
        graph('POST', '111/message_attachments', withToken(page.accessToken, platform ? { platform } : {}), { message: { attachment: { type: 'image', payload: { url: `${filesUrl}/ok.png`, is_reusable: true } } } });
      const fb = await upload();
      const ig = await upload('instagram');
      expect(fb.body).toEqual({ attachment_id: expect.any(String) });
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: fb.body.attachment_id } } })).status).toBe(200);
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: ig.body.attachment_id } } }, '178/messages')).status).toBe(200);
      expect((await message({ attachment: { type: 'image', payload: { attachment_id: ig.body.attachment_id } } })).body.error.code).toBe(100);
    });

    it('answers sender actions and reactions with the recipient id', async () => {
      for (const body of [
        { sender_action: 'typing_on' },
        { sender_action: 'mark_seen' },
        { sender_action: 'react', payload: { message_id: 'm_1', reaction: '❤' } },
        { sender_action: 'unreact', payload: { message_id: 'm_1' } },
      ]) {
        const res = await graph('POST', 'me/messages', withToken(page.accessToken), { recipient: { id: 'psid-1' }, ...body });
        expect(res.body).toEqual({ recipient_id: 'psid-1' });
      }
      const bad = await graph('POST', 'me/messages', withToken(page.accessToken), { recipient: { id: 'psid-1' }, sender_action: 'react', payload: {} });
      expect(bad.body.error.code).toBe(100);
    });

    it('injects faults in order, only on matching paths, and records every call', async () => {
      sandbox.failNext(1, { code: 613, path: /\/messages$/ });
      sandbox.failNext(1, { httpStatus: 503 });
      const body = { recipient: { id: 'psid-1' }, messaging_type: 'RESPONSE', message: { text: 'hi' } };
      const profile = await graph('GET', '111', withToken(page.accessToken));
      expect(profile.body.error).toMatchObject({ code: 2 });
      expect(profile.status).toBe(503);
      const limited = await graph('POST', 'me/messages', withToken(page.accessToken), body);
      expect(limited.body.error.code).toBe(613);
      expect((await graph('POST', 'me/messages', withToken(page.accessToken), body)).status).toBe(200);
      expect(sandbox.requests.map((r) => [r.method, r.path, r.status, r.pageId])).toEqual([
        ['GET', '/v21.0/111', 503, '111'],
        ['POST', '/v21.0/me/messages', 400, '111'],
        ['POST', '/v21.0/me/messages', 200, '111'],
      ]);
    });

    it('injects a fault on one Page only, for a window of time', async () => {
      const other = sandbox.addPage({ id: '999', name: 'Other Page' });
      sandbox.failNext(0, { code: 613, pageId: page.id, forMs: 300, path: /\/messages$/ });
      const body = { recipient: { id: 'psid-1' }, messaging_type: 'RESPONSE', message: { text: 'hi' } };
      for (let i = 0; i < 3; i++) expect((await graph('POST', 'me/messages', withToken(page.accessToken), body)).body.error.code).toBe(613);
      expect((await graph('POST', 'me/messages', withToken(other.accessToken), body)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect((await graph('POST', 'me/messages', withToken(page.accessToken), body)).status).toBe(200);
    });
  });

  it('records unknown routes as unmatched with a 404 Graph error', async () => {
    const res = await graph('GET', 'me/unknown_edge');
    expect(res.status).toBe(404);
    expect(res.body.error).toBeDefined();
    expect(sandbox.unmatched).toEqual([expect.objectContaining({ method: 'GET', path: '/v21.0/me/unknown_edge' })]);
  });

  it('serves CDN bytes and posts webhooks signed with the app secret', async () => {
    const url = sandbox.cdnUrl(Buffer.from('JPEG'), 'image/jpeg');
    const cdn = await fetch(url);
    expect(cdn.headers.get('content-type')).toBe('image/jpeg');
    expect(await cdn.text()).toBe('JPEG');

    const received: { headers: Record<string, unknown>; body: string }[] = [];
    const target = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('EVENT_RECEIVED');
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    sandbox.webhookTarget = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
    const answer = await sandbox.postWebhook({ object: 'page', entry: [] });
    await sandbox.postWebhook({ object: 'page', entry: [] }, { signature: 'missing' });
    await new Promise((r) => target.close(r));
    expect(answer).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
    const expected = createHmac('sha256', sandbox.appSecret).update(received[0].body).digest('hex');
    expect(received[0].headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
    expect(received[0].headers['x-hub-signature']).toMatch(/^sha1=[0-9a-f]{40}$/);
    expect(received[1].headers['x-hub-signature-256']).toBeUndefined();
  });

  describe('comments', () => {
    const received: any[] = [];
    let hook: Server;
    beforeEach(async () => {
      received.length = 0;
      hook = createServer((req, res) => {
        let raw = '';
        req.on('data', (c) => (raw += c));
        req.on('end', () => {
          received.push({ body: JSON.parse(raw), signature: req.headers['x-hub-signature-256'] });
          res.end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
      sandbox.webhookTarget = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`;
    });
    afterEach(() => new Promise<void>((r) => hook.close(() => r())));

    it('posts a signed Page feed comment and an Instagram comment as Meta shapes them', async () => {
      sandbox.addPage({ id: '111', name: 'P', instagram: { id: '178', username: 'p' } });
      const { comment: fb } = await sandbox.postComment({ platform: 'facebook', text: 'Hi', from: { id: '900', name: 'Ana' } });
      const { comment: ig } = await sandbox.postComment({ platform: 'instagram', text: 'Yo', from: { id: '901', username: 'rui' } });
      expect(received[0].signature).toBe(`sha256=${createHmac('sha256', 'sandbox-app-secret').update(JSON.stringify(received[0].body)).digest('hex')}`);
      expect(received[0].body.entry[0].changes[0]).toMatchObject({
        field: 'feed',
        value: { item: 'comment', verb: 'add', comment_id: fb.id, post_id: fb.postId, parent_id: fb.postId, message: 'Hi', from: { id: '900', name: 'Ana' } },
      });
      expect(received[1].body).toMatchObject({ object: 'instagram', entry: [{ id: '178', changes: [{ field: 'comments', value: { id: ig.id, text: 'Yo', from: { id: '901', username: 'rui' }, media: { id: ig.postId } } }] }] });
    });

    it('answers one private reply per comment on the right endpoint, refuses after 7 days, names the commenter', async () => {
      const page = sandbox.addPage({ id: '111', name: 'P', instagram: { id: '178', username: 'p' } });
      const { comment: fb } = await sandbox.postComment({ platform: 'facebook', from: { id: '900' } });
      const { comment: ig } = await sandbox.postComment({ platform: 'instagram', from: { id: '901' } });
      const { comment: old } = await sandbox.postComment({ platform: 'facebook', createdTime: Date.now() - 8 * 24 * 3600 * 1000 });
      const reply = (node: string, commentId: string) => graph('POST', `${node}/messages`, withToken(page.accessToken), { recipient: { comment_id: commentId }, message: { text: 'Hello' } });

      const first = await reply('111', fb.id);
      expect(first.body).toEqual({ recipient_id: 'ps900', message_id: expect.stringMatching(/^m_/) });
      expect((await reply('111', fb.id)).body.error).toMatchObject({ code: 10900 });
      expect((await reply('178', fb.id)).body.error).toMatchObject({ code: 100 });
      expect((await reply('178', ig.id)).body).toEqual({ recipient_id: '901', message_id: expect.any(String) });
      expect((await reply('111', old.id)).body.error).toMatchObject({ code: 10903 });
    });

    it('replies publicly and announces the Page’s reply, hides with is_hidden / hide', async () => {
      const page = sandbox.addPage({ id: '111', name: 'P', instagram: { id: '178', username: 'p' } });
      const { comment: fb } = await sandbox.postComment({ platform: 'facebook' });
      const { comment: ig } = await sandbox.postComment({ platform: 'instagram' });
      const answer = await graph('POST', `${fb.id}/comments`, withToken(page.accessToken), { message: 'Thanks' });
      expect(answer.body).toEqual({ id: expect.any(String) });
      await new Promise((r) => setTimeout(r, 100));
      expect(received[2].body.entry[0].changes[0].value).toMatchObject({ comment_id: answer.body.id, parent_id: fb.id, from: { id: '111' }, verb: 'add' });
      expect((await graph('POST', `${ig.id}/comments`, withToken(page.accessToken), { message: 'x' })).body.error.code).toBe(100);
      expect((await graph('POST', `${ig.id}/replies`, withToken(page.accessToken), { message: 'x' })).status).toBe(200);
      expect((await graph('POST', fb.id, withToken(page.accessToken), { is_hidden: true })).body).toEqual({ success: true });
      expect((await graph('POST', ig.id, withToken(page.accessToken), { hide: true })).body).toEqual({ success: true });
      expect([sandbox.comment(fb.id)!.hidden, sandbox.comment(ig.id)!.hidden]).toEqual([true, true]);
      expect((await graph('POST', ig.id, withToken(page.accessToken), { is_hidden: true })).body.error.code).toBe(100);
    });
  });

  it('posts delivery and read receipts for what the Page sent, from /_sandbox/receipt', async () => {
    const received: any[] = [];
    const target = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        received.push(JSON.parse(body));
        res.end('EVENT_RECEIVED');
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    sandbox.webhookTarget = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
    sandbox.addPage({ id: '900', name: 'P', instagram: { id: '901', username: 'p' } });
    sandbox.defaultSenders = { messenger: 'psid-1', instagram: 'igsid-1' };
    const control = (body: object) =>
      fetch(`${sandbox.url}/_sandbox/receipt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      expect((await control({ channel: 'messenger', type: 'delivery' })).status).toBe(200);
      expect((await control({ channel: 'messenger', type: 'read' })).status).toBe(200);
      expect((await control({ channel: 'instagram', type: 'read' })).status).toBe(400);
      expect((await control({ channel: 'messenger', type: 'seen' })).status).toBe(400);
    } finally {
      await new Promise((r) => target.close(r));
    }
    expect(received.map((d) => [d.object, d.entry[0].id, Object.keys(d.entry[0].messaging[0]).filter((k) => k === 'delivery' || k === 'read')])).toEqual([
      ['page', '900', ['delivery']],
      ['page', '900', ['read']],
    ]);
    expect(received[1].entry[0].messaging[0]).toMatchObject({ sender: { id: 'psid-1' }, recipient: { id: '900' }, read: { watermark: expect.any(Number) } });
  });
});
