import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { addFacebookIdentity, addInstagramIdentity, createContact, createConversation } from './support/factories';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d6a1b60000000049454e44ae426082', 'hex');
const MAX_BYTES = 64 * 1024;

describe('attachments: upload and send', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let org: { id: string; apiKey: string };

  beforeAll(async () => {
    ({ t, sandbox, page, org } = await startWithConnectedPage(
      { id: '311', name: 'Files Page', instagram: { id: '378', username: 'files' } },
      'Files',
      { MAX_ATTACHMENT_BYTES: String(MAX_BYTES), META_PAGE_MEDIA_SENDS_PER_SECOND: '3' },
    ));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }));
  beforeEach(() => sandbox.clear());

  async function upload(body: Buffer, type: string | undefined, options: { token?: string; field?: string; name?: string } = {}) {
    const form = new FormData();
    form.append(options.field ?? 'file', new Blob([body], type === undefined ? {} : { type }), options.name ?? 'file.bin');
    const response = await fetch(`${t.baseUrl}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${options.token ?? org.apiKey}` }, body: form });
    return { status: response.status, body: (await response.json()) as any };
  }

  async function contact(psid: string, igsid?: string) {
    const contactId = await createContact(t.db, org.id);
    await addFacebookIdentity(t.db, contactId, page.id, psid);
    if (igsid) await addInstagramIdentity(t.db, contactId, '378', igsid);
    await createConversation(t.db, contactId, { lastInboundAt: new Date() });
    if (igsid) await createConversation(t.db, contactId, { channel: 'instagram_dm', lastInboundAt: new Date() });
    return contactId;
  }

  const send = (body: object, token = org.apiKey) => t.request('POST', '/api/messaging/send?wait=true', { token, body });

  it('stores an upload and answers 201 with a signed link that serves the bytes', async () => {
    const res = await upload(PNG, 'image/png', { name: 'dot.png' });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), mimeType: 'image/png', size: PNG.length, url: expect.stringMatching(/\/files\/.+signature=/) });
    const file = await fetch(res.body.url);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer())).toEqual(PNG);
  });

  it('refuses a file over MAX_ATTACHMENT_BYTES with 413', async () => {
    const res = await upload(Buffer.alloc(MAX_BYTES + 1, 1), 'application/pdf');
    expect(res.status).toBe(413);
  });

  it('refuses a file without a usable content type with 415', async () => {
    expect((await upload(PNG, undefined)).status).toBe(415);
    expect((await upload(PNG, 'application/octet-stream')).status).toBe(415);
  });

  it('refuses a body that is neither multipart nor JSON with 415, and a wrong field or an empty file with 400', async () => {
    const text = await fetch(`${t.baseUrl}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${org.apiKey}`, 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
    expect(((await text.json()) as any).message).toMatch(/multipart\/form-data.*base64/);
    expect((await upload(PNG, 'image/png', { field: 'image' })).status).toBe(400);
    expect((await upload(Buffer.alloc(0), 'image/png')).status).toBe(400);
  });

  it('requires an API key', async () => {
    expect((await upload(PNG, 'image/png', { token: 'mi_live_nope' })).status).toBe(401);
  });

  it('sends a text and then each attachment as its own Messenger call, by signed URL Meta can fetch', async () => {
    const contactId = await contact('psid-files');
    const image = await upload(PNG, 'image/png');
    const pdf = await upload(Buffer.from('%PDF-1.4 receipt'), 'application/pdf', { name: 'receipt.pdf' });

    const res = await send({ channel: 'facebook_messenger', contactId, text: 'Your receipt', attachmentIds: [image.body.id, pdf.body.id] });

    expect(res.status).toBe(200);
    expect(res.body.messages.map((m: any) => [m.status, m.text, m.attachments.map((a: any) => a.id)])).toEqual([
      ['published', 'Your receipt', []],
      ['published', null, [image.body.id]],
      ['published', null, [pdf.body.id]],
    ]);
    expect(res.body.messages[1].attachments[0]).toMatchObject({ type: 'image', mimeType: 'image/png', size: PNG.length });
    const sent = sandbox.sent();
    expect(sent.map((s) => s.path)).toEqual(['/v21.0/me/messages', '/v21.0/me/messages', '/v21.0/me/messages']);
    expect(sent[0].body).toEqual({ recipient: { id: 'psid-files' }, messaging_type: 'RESPONSE', message: { text: 'Your receipt' } });
    for (const [index, type] of [[1, 'image'], [2, 'file']] as const) {
      expect(sent[index].body).toEqual({
        recipient: { id: 'psid-files' },
        messaging_type: 'RESPONSE',
        message: { attachment: { type, payload: { url: expect.stringMatching(new RegExp(`^${t.config.publicUrl}/files/`)), is_reusable: true } } },
      });
    }
    expect(sent[1].fetched).toEqual({ contentType: 'image/png', size: PNG.length });
    expect(sent[2].fetched).toEqual({ contentType: 'application/pdf', size: 16 });
    expect(res.body.messages.map((m: any) => m.externalId)).toEqual(sent.map((s) => s.messageId));
  });

  it('sends an Instagram video on /{ig_account_id}/messages', async () => {
    const contactId = await contact('psid-ig-files', 'igsid-files');
    const video = await upload(Buffer.from('not really an mp4'), 'video/mp4');

    const res = await send({ channel: 'instagram_dm', contactId, attachmentIds: [video.body.id] });

    expect(res.status).toBe(200);
    expect(res.body.messages).toHaveLength(1);
    expect(res.body.messages[0]).toMatchObject({ status: 'published', text: null, attachments: [{ id: video.body.id, type: 'video' }] });
    const [sent] = sandbox.sent();
    expect(sent.path).toBe('/v21.0/378/messages');
    expect(sent.body.message.attachment).toEqual({ type: 'video', payload: { url: expect.any(String), is_reusable: true } });
    expect(sent.fetched).toEqual({ contentType: 'video/mp4', size: 17 });
  });

  it("answers 404 for another organization's or an unknown attachment, and sends nothing", async () => {
    const other = await t.createOrganization('Other');
    const theirs = await upload(PNG, 'image/png', { token: other.apiKey });
    const contactId = await contact('psid-404');

    for (const id of [theirs.body.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId, attachmentIds: [id] } });
      expect(res.status).toBe(404);
    }
    expect(sandbox.sent()).toHaveLength(0);
  });

  it('sends an upload again as a copy, keeping the first message with its attachment', async () => {
    const contactId = await contact('psid-twice');
    const image = await upload(PNG, 'image/png');

    const first = await send({ channel: 'facebook_messenger', contactId, attachmentIds: [image.body.id] });
    const second = await send({ channel: 'facebook_messenger', contactId, attachmentIds: [image.body.id] });

    expect(first.body.messages[0].attachments[0].id).toBe(image.body.id);
    expect(second.body.messages[0].attachments[0].id).not.toBe(image.body.id);
    expect(second.body.messages[0].status).toBe('published');
    // The first send saved the file on Meta's side; the copy goes by that id, not fetched again.
    const [saved, reused] = sandbox.sent();
    expect(saved.body.message.attachment.payload).toEqual({ url: expect.any(String), is_reusable: true });
    expect(reused.body.message.attachment).toEqual({ type: 'image', payload: { attachment_id: saved.attachmentId } });
    expect(reused.fetched).toBeUndefined();
  });

  it('keeps audio sends of one Page within the media limit per second', async () => {
    const contactId = await contact('psid-audio');
    const clips = await Promise.all([1, 2, 3, 4, 5].map((i) => upload(Buffer.from(`clip ${i}`), 'audio/mpeg')));

    const res = await t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId, attachmentIds: clips.map((c) => c.body.id) } });
    expect(res.status).toBe(202);
    const deadline = Date.now() + 15_000;
    while (sandbox.sent().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const seconds = sandbox.sent().map((s) => Math.floor(s.at / 1000));
    expect(seconds).toHaveLength(5);
    expect(Math.max(...seconds.map((s) => seconds.filter((x) => x === s).length))).toBeLessThanOrEqual(3);
    expect(sandbox.sent().every((s) => s.body.message.attachment.type === 'audio')).toBe(true);
  });
});
