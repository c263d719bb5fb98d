import { createHmac } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appSecretProof, graphOf, withToken } from '../../test/support/sandbox-graph';
import { MetaSandbox } from './meta-sandbox';

describe('MetaSandbox', () => {
  let sandbox: MetaSandbox;
  const graph = graphOf(() => sandbox);

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
    expect((await graph('GET', '111', { access_token: page.accessToken, appsecret_proof: appSecretProof(page.accessToken, 'other') })).body.error.message).toContain('Invalid appsecret_proof');
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
