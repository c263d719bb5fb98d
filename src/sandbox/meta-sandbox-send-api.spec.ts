import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { graphOf, withToken } from '../../test/support/sandbox-graph';
import { MetaSandbox } from './meta-sandbox';

describe('MetaSandbox Send API', () => {
  let sandbox: MetaSandbox;
  const graph = graphOf(() => sandbox);

  beforeEach(async () => {
    sandbox = await MetaSandbox.start();
  });
  afterEach(() => sandbox.stop());

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

  describe('batch requests', () => {
    const batch = (calls: unknown, token = page.accessToken) => {
      const form = new URLSearchParams({ ...withToken(token), batch: typeof calls === 'string' ? calls : JSON.stringify(calls), include_headers: 'false' });
      return fetch(`${sandbox.url}/v21.0/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }).then(async (res) => ({ status: res.status, body: (await res.json()) as any }));
    };
    const textCall = (recipient: string, extra = '') => ({
      method: 'POST',
      relative_url: `me/messages${extra}`,
      body: new URLSearchParams({ recipient: JSON.stringify({ id: recipient }), messaging_type: 'RESPONSE', message: JSON.stringify({ text: 'hi' }) }).toString(),
    });

    it('runs each call as if it came alone and answers each in order, failures included', async () => {
      const other = sandbox.addPage({ id: '999', name: 'Other Page' });
      const answer = await batch([textCall('a'), { method: 'POST', relative_url: 'me/messages', body: 'messaging_type=RESPONSE' }, textCall('b', `?${new URLSearchParams(withToken(other.accessToken))}`)]);
      expect(answer.status).toBe(200);
      expect(answer.body.map((item: { code: number }) => item.code)).toEqual([200, 400, 200]);
      expect(JSON.parse(answer.body[0].body)).toEqual({ recipient_id: 'a', message_id: expect.stringMatching(/^m_/) });
      expect(JSON.parse(answer.body[1].body).error.code).toBe(100);
      expect(answer.body[0].headers).toBeUndefined();
      // The third call named a token of its own: it went as that Page.
      expect(sandbox.sent().map((s) => [s.pageId, s.recipientId])).toEqual([
        ['111', 'a'],
        ['999', 'b'],
      ]);
      expect(sandbox.requests.map((r) => [r.path, r.batched ?? false, r.status])).toEqual([
        ['/v21.0/', false, 200],
        ['/v21.0/me/messages', true, 200],
        ['/v21.0/me/messages', true, 400],
        ['/v21.0/me/messages', true, 200],
      ]);
    });

    it('refuses a batch that is not an array of calls, or has more than 50', async () => {
      expect((await batch('not json')).body.error.code).toBe(100);
      expect((await batch([])).body.error.code).toBe(100);
      const tooMany = await batch(Array.from({ length: 51 }, (_, i) => textCall(`p${i}`)));
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toBe('(#100) Too many requests in batch message. Maximum batch size is 50');
      expect(sandbox.sent()).toHaveLength(0);
      // A call without a path, or one that leaves the Graph API for the sandbox's own routes, is refused alone.
      const [bad, outside, good] = (await batch([{ method: 'POST' }, { method: 'POST', relative_url: '../_sandbox/fail', body: 'count=1&code=190' }, textCall('a')])).body;
      expect([bad.code, outside.code, good.code]).toEqual([400, 404, 200]);
      expect(sandbox.sent().map((s) => s.recipientId)).toEqual(['a']);
    });
  });
});
