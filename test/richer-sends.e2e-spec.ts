import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { messageEvent, postbackEvent, webhookOf } from '../src/sandbox/webhook-events';
import { addFacebookIdentity, addInstagramIdentity, createContact, createConversation, createMessengerCustomer } from './support/factories';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d6a1b60000000049454e44ae426082', 'hex');
const MAX_BYTES = 64 * 1024;

describe('richer sends: quick replies, buttons, files by URL, base64 uploads, reusable attachments', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let org: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    ({ t, sandbox, page, org } = await startWithConnectedPage(
      { id: '611', name: 'Rich Page', instagram: { id: '678', username: 'rich' } },
      'Rich',
      { SEND_MAX_ATTEMPTS: '2', MAX_ATTACHMENT_BYTES: String(MAX_BYTES) },
    ));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));
  beforeEach(() => sandbox.clear());

  let counter = 0;
  /** A contact on Messenger (and Instagram) who wrote a minute ago. */
  async function contact() {
    counter += 1;
    const psid = `psid-rich-${counter}`;
    const igsid = `igsid-rich-${counter}`;
    const contactId = await createContact(t.db, org.id, { displayName: 'Ann' });
    await addFacebookIdentity(t.db, contactId, page.id, psid);
    await addInstagramIdentity(t.db, contactId, '678', igsid);
    const lastInboundAt = new Date(Date.now() - 60_000);
    const conversationId = await createConversation(t.db, contactId, { lastInboundAt });
    const igConversationId = await createConversation(t.db, contactId, { channel: 'instagram_dm', lastInboundAt });
    return { contactId, conversationId, igConversationId, psid, igsid };
  }

  const send = (body: object, query = '?wait=true') => t.request('POST', `/api/messaging/send${query}`, { token: org.apiKey, body });
  const sendCalls = () => sandbox.requests.filter((r) => /\/messages$/.test(r.path));

  async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  describe('quick replies and buttons', () => {
    it('sends quick replies under a Messenger text with the exact Send API body, shows them on the record, and links the tap to it', async () => {
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);
      const { contactId, conversationId, psid } = await contact();
      const quickReplies = [
        { title: 'Track my order', payload: 'TRACK' },
        { title: 'Talk to a human', payload: 'HUMAN' },
      ];

      const res = await send({ channel: 'facebook_messenger', contactId, text: 'How can we help?', quickReplies });

      expect(res.status).toBe(200);
      const [record] = res.body.messages;
      expect(record).toMatchObject({ status: 'published', text: 'How can we help?', quickReplies, buttons: [] });
      const [sent] = sandbox.sent();
      expect(sent.body).toEqual({
        recipient: { id: psid },
        messaging_type: 'RESPONSE',
        message: {
          text: 'How can we help?',
          quick_replies: [
            { content_type: 'text', title: 'Track my order', payload: 'TRACK' },
            { content_type: 'text', title: 'Talk to a human', payload: 'HUMAN' },
          ],
        },
      });
      await expect(socket.waitFor('message.created', (m) => m.id === record.id)).resolves.toMatchObject({ quickReplies, buttons: [] });
      const listed = (await t.request('GET', `/api/conversations/${conversationId}/messages`, { token: org.apiKey })).body.data;
      expect(listed.find((m: { id: string }) => m.id === record.id)).toMatchObject({ quickReplies, buttons: [] });
      // Integrators get the same record in message.sent.
      const sentEvent = await until(async () => {
        const events = (await t.request('GET', '/api/events?limit=100', { token: org.apiKey })).body.data;
        return events.find((e: any) => e.type === 'message.sent' && e.data.object.id === record.id);
      });
      expect(sentEvent.data.object).toMatchObject({ quickReplies, buttons: [] });

      // The customer taps "Talk to a human": Meta sends a text with the payload.
      const tap = messageEvent('messenger', { account: page.id, user: psid }, { text: 'Talk to a human', quickReplyPayload: 'HUMAN' });
      expect((await sandbox.postWebhook(webhookOf('messenger', page.id, tap))).status).toBe(200);
      const inbound = await until(async () => {
        const data = (await t.request('GET', `/api/conversations/${conversationId}/messages`, { token: org.apiKey })).body.data;
        return data.find((m: any) => m.direction === 'inbound');
      });
      expect(inbound).toMatchObject({ text: 'Talk to a human', quickReplies: [], buttons: [], metadata: { quickReplyPayload: 'HUMAN', quickReplyTo: record.id } });
    });

    it('sends buttons as a button template, with quick replies on it, on Messenger', async () => {
      const { contactId, conversationId, psid } = await contact();
      const buttons = [
        { type: 'postback', title: 'Reorder', payload: 'REORDER_42' },
        { type: 'web_url', title: 'See the order', url: 'https://shop.example/orders/42' },
      ];

      const res = await send({ channel: 'facebook_messenger', contactId, text: 'Your order shipped.', buttons, quickReplies: [{ title: 'Thanks', payload: 'THANKS' }] });

      expect(res.status).toBe(200);
      expect(res.body.messages).toHaveLength(1);
      expect(res.body.messages[0]).toMatchObject({ status: 'published', text: 'Your order shipped.', buttons, quickReplies: [{ title: 'Thanks', payload: 'THANKS' }] });
      expect(sandbox.sent()[0].body).toEqual({
        recipient: { id: psid },
        messaging_type: 'RESPONSE',
        message: {
          attachment: { type: 'template', payload: { template_type: 'button', text: 'Your order shipped.', buttons } },
          quick_replies: [{ content_type: 'text', title: 'Thanks', payload: 'THANKS' }],
        },
      });

      // A tap on the postback button arrives as a postback, as before.
      const tap = postbackEvent({ account: page.id, user: psid }, { title: 'Reorder', payload: 'REORDER_42' });
      expect((await sandbox.postWebhook(webhookOf('messenger', page.id, tap))).status).toBe(200);
      const postback = await until(async () => {
        const data = (await t.request('GET', `/api/conversations/${conversationId}/messages`, { token: org.apiKey })).body.data;
        return data.find((m: any) => m.kind === 'postback');
      });
      expect(postback.metadata.postback).toEqual({ title: 'Reorder', payload: 'REORDER_42' });
    });

    it('sends a button template and quick replies on Instagram', async () => {
      const { igConversationId, igsid } = await contact();
      const buttons = [{ type: 'postback', title: 'Yes', payload: 'YES' }];

      const withButtons = await send({ channel: 'instagram_dm', conversationId: igConversationId, text: 'Book it?', buttons });
      const withReplies = await send({ channel: 'instagram_dm', conversationId: igConversationId, text: 'Size?', quickReplies: [{ title: 'M', payload: 'SIZE_M' }] });

      expect(withButtons.body.messages[0]).toMatchObject({ status: 'published', buttons });
      expect(withReplies.body.messages[0]).toMatchObject({ status: 'published', quickReplies: [{ title: 'M', payload: 'SIZE_M' }] });
      const [first, second] = sandbox.sent();
      expect(first.path).toBe('/v21.0/678/messages');
      expect(first.body).toEqual({
        recipient: { id: igsid },
        messaging_type: 'RESPONSE',
        message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'Book it?', buttons } } },
      });
      expect(second.body.message).toEqual({ text: 'Size?', quick_replies: [{ content_type: 'text', title: 'M', payload: 'SIZE_M' }] });
    });

    const thirteen = Array.from({ length: 14 }, (_, i) => ({ title: `Option ${i}`, payload: `P${i}` }));
    it.each([
      ['14 quick replies', { quickReplies: thirteen }, /1 to 13 quickReplies/],
      ['no quick replies in the list', { quickReplies: [] }, /1 to 13 quickReplies/],
      ['a quick-reply title over 20 characters', { quickReplies: [{ title: 'x'.repeat(21), payload: 'P' }] }, /quickReplies\[0\]\.title must be 1 to 20/],
      ['a quick-reply payload over 1000 characters', { quickReplies: [{ title: 'ok', payload: 'p'.repeat(1001) }] }, /quickReplies\[0\]\.payload must be 1 to 1000/],
      ['quick replies without a text', { text: undefined, attachmentUrls: ['https://files.example/a.png'], quickReplies: [{ title: 'ok', payload: 'P' }] }, /quickReplies need a text/],
      ['4 buttons', { buttons: Array.from({ length: 4 }, (_, i) => ({ type: 'postback', title: `B${i}`, payload: `B${i}` })) }, /1 to 3 buttons/],
      ['a button title over 20 characters', { buttons: [{ type: 'postback', title: 'y'.repeat(21), payload: 'P' }] }, /buttons\[0\]\.title must be 1 to 20/],
      ['a text over 640 characters with buttons', { text: 'z'.repeat(641), buttons: [{ type: 'postback', title: 'ok', payload: 'P' }] }, /at most 640 characters/],
      ['a web_url button that is not http(s)', { buttons: [{ type: 'web_url', title: 'Open', url: 'ftp://files.example/x' }] }, /buttons\[0\]\.url must be an http\(s\) URL/],
      ['buttons without a text', { text: undefined, attachmentUrls: ['https://files.example/a.png'], buttons: [{ type: 'postback', title: 'ok', payload: 'P' }] }, /buttons need a text/],
    ])('refuses %s with 422 and sends nothing', async (_, fields, message) => {
      const { contactId } = await contact();
      const res = await send({ channel: 'facebook_messenger', contactId, text: 'Pick one', ...fields });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(message);
      expect(sendCalls()).toHaveLength(0);
    });

    it('refuses quick replies with buttons on Instagram, which shows quick replies only under a plain text', async () => {
      const { contactId } = await contact();
      const res = await send({
        channel: 'instagram_dm',
        contactId,
        text: 'Pick one',
        buttons: [{ type: 'postback', title: 'A', payload: 'A' }],
        quickReplies: [{ title: 'B', payload: 'B' }],
      });
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/Instagram shows quick replies only under a plain text/);
      expect(sendCalls()).toHaveLength(0);
    });

    it.each([
      ['an unknown button type', { buttons: [{ type: 'call', title: 'Call', payload: '+1' }] }, /type must be one of/],
      ['a postback button without a payload', { buttons: [{ type: 'postback', title: 'A' }] }, /payload must be a string/],
      ['a postback button with a url', { buttons: [{ type: 'postback', title: 'A', payload: 'A', url: 'https://x.example' }] }, /a postback button has a payload, not a url/],
      ['a quick reply without a title', { quickReplies: [{ payload: 'A' }] }, /title must be a string/],
      ['a quick reply with an unknown field', { quickReplies: [{ title: 'A', payload: 'A', image: 'x' }] }, /image should not exist/],
      ['an attachment URL that is not http(s)', { attachmentUrls: ['file:///etc/passwd'] }, /attachmentUrls must be an http\(s\) URL/],
    ])('answers 400 for %s', async (_, fields, message) => {
      const { contactId } = await contact();
      const res = await send({ channel: 'facebook_messenger', contactId, text: 'Pick one', ...fields });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
      expect(sendCalls()).toHaveLength(0);
    });
  });

  describe('attachmentUrls', () => {
    let files: Server;
    let filesUrl: string;
    let flaky = 0;
    beforeAll(async () => {
      // A file host of the customer's: answers 503 `flaky` times before serving /flaky.png.
      files = createServer((req, res) => {
        if (req.url === '/flaky.png' && flaky-- > 0) return void res.writeHead(503).end();
        if (req.url === '/flaky.png' || req.url === '/logo.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
        if (req.url === '/big.pdf') return void res.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.alloc(MAX_BYTES + 1, 7));
        res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
      filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => files.close(() => resolve())));

    it('fetches each file into our storage and sends our signed copy after the text; a failed fetch fails only its record, saying why', async () => {
      const { contactId, psid } = await contact();

      const res = await send({
        channel: 'facebook_messenger',
        contactId,
        text: 'Here you go',
        attachmentUrls: [`${filesUrl}/logo.png`, `${filesUrl}/missing.png`, `${filesUrl}/big.pdf`],
      });

      expect(res.status).toBe(200);
      const [text, logo, missing, big] = res.body.messages;
      expect(text).toMatchObject({ status: 'published', text: 'Here you go', attachments: [] });
      expect(logo).toMatchObject({ status: 'published', text: null, attachments: [{ type: 'image', mimeType: 'image/png', size: PNG.length, url: expect.stringMatching(new RegExp(`^${t.config.publicUrl}/files/`)) }] });
      const copy = await fetch(logo.attachments[0].url);
      expect(Buffer.from(await copy.arrayBuffer())).toEqual(PNG);
      expect(missing).toMatchObject({ status: 'failed', error: `Could not fetch the file at ${filesUrl}/missing.png: the file server answered HTTP 404.`, attachments: [{ url: null }] });
      expect(big).toMatchObject({ status: 'failed', error: `Could not fetch the file at ${filesUrl}/big.pdf: the file is larger than ${MAX_BYTES} bytes.` });

      // Meta got the text, then our copy of the one file we could fetch; never the customer's URL.
      const sent = sandbox.sent();
      expect(sent.map((s) => s.body.message)).toEqual([
        { text: 'Here you go' },
        { attachment: { type: 'image', payload: { url: expect.stringMatching(new RegExp(`^${t.config.publicUrl}/files/`)), is_reusable: true } } },
      ]);
      expect(sent[1].body.recipient).toEqual({ id: psid });
      expect(sent[1].fetched).toEqual({ contentType: 'image/png', size: PNG.length });
    });

    it('retries a fetch that failed for a passing reason, then sends the file', async () => {
      const { contactId } = await contact();
      flaky = 1;

      const res = await send({ channel: 'facebook_messenger', contactId, attachmentUrls: [`${filesUrl}/flaky.png`] }, '');

      expect(res.status).toBe(202);
      const id = res.body.messages[0].id;
      const waiting = await until(async () => (await t.db.query(`SELECT status, error_details FROM messages WHERE id = $1 AND status = 'failed_waiting_for_retry'`, [id])).rows[0]);
      expect(waiting.error_details).toMatchObject({ message: 'the file server answered HTTP 503' });
      const published = await until(async () => (await t.db.query(`SELECT status FROM messages WHERE id = $1 AND status = 'published'`, [id])).rows[0]);
      expect(published.status).toBe('published');
      expect(sandbox.sent()).toHaveLength(1);
    });
  });

  describe('base64 uploads on POST /api/attachments', () => {
    const upload = (body: object) => t.request('POST', '/api/attachments', { token: org.apiKey, body });

    it('stores a JSON {filename, mimeType, data} upload like a multipart one, and sends it', async () => {
      const res = await upload({ filename: 'dot.png', mimeType: 'image/png', data: PNG.toString('base64') });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), mimeType: 'image/png', size: PNG.length, url: expect.stringMatching(/\/files\/.+signature=/) });
      expect(Buffer.from(await (await fetch(res.body.url)).arrayBuffer())).toEqual(PNG);
      const { rows } = await t.db.query('SELECT file_name, type FROM attachments WHERE id = $1', [res.body.id]);
      expect(rows[0]).toEqual({ file_name: 'dot.png', type: 'image' });

      const { contactId } = await contact();
      const sent = await send({ channel: 'facebook_messenger', contactId, attachmentIds: [res.body.id] });
      expect(sent.body.messages[0]).toMatchObject({ status: 'published', attachments: [{ id: res.body.id, type: 'image' }] });
    });

    it.each([
      ['data that is not base64', { mimeType: 'image/png', data: 'not base64!' }, 400, /base64/],
      ['no data', { mimeType: 'image/png' }, 400, /data/],
      ['an empty file', { mimeType: 'image/png', data: '' }, 400, /data should not be empty/],
      ['an unknown field', { mimeType: 'image/png', data: 'AAAA', file: 'x' }, 400, /file should not exist/],
      ['a type that says nothing', { mimeType: 'application/octet-stream', data: 'AAAA' }, 415, /usable content type/],
      ['a file over MAX_ATTACHMENT_BYTES', { mimeType: 'application/pdf', data: Buffer.alloc(MAX_BYTES + 1, 1).toString('base64') }, 413, /larger than the limit/],
    ])('refuses %s', async (_, body, status, message) => {
      const res = await upload(body);
      expect(res.status).toBe(status);
      expect(res.body.message).toMatch(message);
    });
  });

  describe('reusable attachments', () => {
    async function uploaded(): Promise<string> {
      const res = await t.request('POST', '/api/attachments', { token: org.apiKey, body: { mimeType: 'image/png', data: PNG.toString('base64') } });
      return res.body.id;
    }

    it('saves a file once per Page and platform, then sends it by attachment_id', async () => {
      const { contactId } = await contact();
      const other = await contact();
      const file = await uploaded();

      await send({ channel: 'facebook_messenger', contactId, attachmentIds: [file] });
      await send({ channel: 'facebook_messenger', contactId: other.contactId, attachmentIds: [file] });
      await send({ channel: 'instagram_dm', contactId, attachmentIds: [file] });
      await send({ channel: 'instagram_dm', contactId: other.contactId, attachmentIds: [file] });

      const [fbFirst, fbSecond, igFirst, igSecond] = sandbox.sent();
      expect(fbFirst.body.message.attachment.payload).toEqual({ url: expect.any(String), is_reusable: true });
      expect(fbSecond.body.message.attachment).toEqual({ type: 'image', payload: { attachment_id: fbFirst.attachmentId } });
      expect(fbSecond.body.recipient).toEqual({ id: other.psid });
      // An id saved for Messenger is not an Instagram one: Instagram saves its own.
      expect(igFirst.path).toBe('/v21.0/678/messages');
      expect(igFirst.body.message.attachment.payload).toEqual({ url: expect.any(String), is_reusable: true });
      expect(igFirst.attachmentId).not.toBe(fbFirst.attachmentId);
      expect(igSecond.body.message.attachment.payload).toEqual({ attachment_id: igFirst.attachmentId });
      // Meta fetched the file once per platform, not once per send.
      expect(sandbox.sent().filter((s) => s.fetched)).toHaveLength(2);
    });

    it('falls back to the URL once when Meta no longer knows the id, and keeps the new one', async () => {
      const { contactId } = await contact();
      const file = await uploaded();
      await send({ channel: 'facebook_messenger', contactId, attachmentIds: [file] });
      const saved = sandbox.sent()[0].attachmentId!;
      sandbox.expireAttachments([saved]);
      sandbox.clear();

      const res = await send({ channel: 'facebook_messenger', contactId, attachmentIds: [file] });

      expect(res.body.messages[0]).toMatchObject({ status: 'published', error: null });
      const calls = sendCalls();
      expect(calls.map((c) => [(c.body as any).message.attachment.payload, c.status])).toEqual([
        [{ attachment_id: saved }, 400],
        [{ url: expect.any(String), is_reusable: true }, 200],
      ]);
      const renewed = sandbox.sent()[0].attachmentId!;
      expect(renewed).not.toBe(saved);
      const { rows } = await t.db.query(`SELECT attachment_id FROM meta_reusable_attachments WHERE page_id = $1 AND platform = 'messenger'`, [page.id]);
      expect(rows.map((r) => r.attachment_id)).toContain(renewed);
      expect(rows.map((r) => r.attachment_id)).not.toContain(saved);

      sandbox.clear();
      await send({ channel: 'facebook_messenger', contactId, attachmentIds: [file] });
      expect(sandbox.sent()[0].body.message.attachment.payload).toEqual({ attachment_id: renewed });
    });
  });
});

describe('attachmentUrls with private networks refused', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };

  beforeAll(async () => {
    ({ t, sandbox, org } = await startWithConnectedPage({ id: '711', name: 'Guarded Page' }, 'Guarded', { MEDIA_ALLOW_PRIVATE_NETWORKS: 'false' }));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }));

  it('fails the record of a file on a loopback address, saying so, and still sends the text', async () => {
    const contactId = await createMessengerCustomer(t.db, org.id, '711', 'psid-guarded');

    const res = await t.request('POST', '/api/messaging/send?wait=true', {
      token: org.apiKey,
      body: { channel: 'facebook_messenger', contactId, text: 'See attached', attachmentUrls: [`${t.baseUrl}/health`] },
    });

    expect(res.status).toBe(200);
    expect(res.body.messages.map((m: any) => m.status)).toEqual(['published', 'failed']);
    expect(res.body.messages[1].error).toBe(`Could not fetch the file at ${t.baseUrl}/health: refused 127.0.0.1: it resolves to a private or loopback address.`);
    expect(sandbox.sent().map((s) => s.body.message)).toEqual([{ text: 'See attached' }]);
  });
});
