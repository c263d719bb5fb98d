import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, Parties, webhookOf } from '../src/sandbox/webhook-events';
import { StorageService } from '../src/storage/storage.service';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';
import { eventually } from './support/eventually';

describe('inbound attachments', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];
  const PAGE = '303000000000001';
  const IG = '17841430300000001';
  let seq = 0;

  /** The attachments of the message with this mid, in the order shown, once none is pending. */
  const settled = (mid: string) =>
    eventually(
      async () =>
        (
          await t.db.query(
            `SELECT a.* FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.external_id = $1 ORDER BY a.created_at`,
            [mid],
          )
        ).rows,
      (rows) => rows.length > 0 && rows.every((a: any) => a.status !== 'pending'),
      15000,
    );

  const fileOf = async (storageKey: string) => {
    const res = await fetch(t.app.get(StorageService).signedUrl(storageKey));
    return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    ({ t, sandbox, org } = await startWithConnectedPage(
      { id: PAGE, name: 'Media Page', instagram: { id: IG, username: 'media.shop' } },
      'Media Org',
      { MAX_ATTACHMENT_BYTES: '100000' },
    ));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));

  it('copies every Messenger media kind into storage with its type and size, served at a signed URL', async () => {
    const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
    sockets.push(socket);
    const p: Parties = { account: PAGE, user: `psid-${++seq}` };
    const files = {
      image: [Buffer.from('\x89PNG fake image bytes'), 'image/png'],
      audio: [Buffer.from('ID3 fake audio'), 'audio/mpeg'],
      video: [Buffer.alloc(50000, 7), 'video/mp4'],
      file: [Buffer.from('%PDF-1.7 invoice'), 'application/pdf'],
    } as const;
    const mid = newMid('messenger');
    const attachments = Object.entries(files).map(([type, [body, contentType]]) => ({ type, payload: { url: sandbox.cdnUrl(body, contentType) } }));
    await sandbox.postWebhook(webhookOf('messenger', PAGE, messageEvent('messenger', p, { mid, attachments })));

    const rows = await settled(mid);
    expect(rows.map((a: any) => [a.type, a.status, a.mime_type, Number(a.size)])).toEqual(
      Object.entries(files).map(([type, [body, contentType]]) => [type, 'stored', contentType, body.length]),
    );
    for (const [i, [body, contentType]] of Object.values(files).entries()) {
      const file = await fileOf(rows[i].storage_key);
      expect(file).toMatchObject({ status: 200, type: contentType });
      expect(file.body.equals(body)).toBe(true);
    }
    // The inbox learns each copy through message.updated, with a working link.
    const updated = await socket.waitFor('message.updated', (m) => m.externalId === mid && m.attachments.every((a: any) => a.url));
    expect(updated.attachments.map((a: any) => a.type)).toEqual(['image', 'audio', 'video', 'file']);
    expect((await fetch(updated.attachments[0].url)).status).toBe(200);
  });

  it("copies Instagram shares, reels and post shares, and keeps a story mention at Meta's CDN without copying it", async () => {
    const p: Parties = { account: IG, user: `igsid-${++seq}` };
    const mid = newMid('instagram');
    const types = ['image', 'share', 'story_mention', 'ig_reel', 'reel', 'ig_post'];
    const attachments = types.map((type, i) => ({ type, payload: { url: sandbox.cdnUrl(Buffer.from(`${type} ${i}`), 'image/jpeg'), title: type } }));
    await sandbox.postWebhook(webhookOf('instagram', IG, messageEvent('instagram', p, { mid, attachments })));
    const rows = await settled(mid);
    expect(rows.map((a: any) => [a.type, a.status])).toEqual(types.map((type) => [type, type === 'story_mention' ? 'remote' : 'stored']));
    expect((await fileOf(rows[1].storage_key)).body.toString()).toBe('share 1');
    expect(rows[2]).toMatchObject({ storage_key: null, source_url: attachments[2].payload.url });
  });

  it('keeps a fallback without payload, a link fallback and an unknown type, without downloading them', async () => {
    const p: Parties = { account: PAGE, user: `psid-${++seq}` };
    const mid = newMid('messenger');
    const attachments = [{ type: 'fallback' }, { type: 'fallback', payload: { url: 'https://example.com/article', title: 'An article' } }, { type: 'hologram', payload: { shape: 'cube' } }];
    await sandbox.postWebhook(webhookOf('messenger', PAGE, messageEvent('messenger', p, { mid, text: 'look', attachments })));
    const rows = await settled(mid);
    expect(rows.map((a: any) => [a.type, a.status, a.payload, a.source_url])).toEqual([
      ['fallback', 'unavailable', null, null],
      ['fallback', 'unavailable', { url: 'https://example.com/article', title: 'An article' }, 'https://example.com/article'],
      ['hologram', 'unavailable', { shape: 'cube' }, null],
    ]);
  });

  it('marks a file over the size cap, or gone from the CDN, unavailable and keeps the message', async () => {
    const p: Parties = { account: PAGE, user: `psid-${++seq}` };
    const mid = newMid('messenger');
    const big = sandbox.cdnUrl(Buffer.alloc(150000), 'video/mp4');
    const gone = `${sandbox.url}/cdn/does-not-exist`;
    await sandbox.postWebhook(
      webhookOf('messenger', PAGE, messageEvent('messenger', p, { mid, text: 'two files', attachments: [{ type: 'video', payload: { url: big } }, { type: 'image', payload: { url: gone } }] })),
    );
    const rows = await settled(mid);
    expect(rows.map((a: any) => [a.type, a.status, a.storage_key])).toEqual([
      ['video', 'unavailable', null],
      ['image', 'unavailable', null],
    ]);
    expect((await t.db.query(`SELECT text FROM messages WHERE external_id = $1`, [mid])).rows[0].text).toBe('two files');
  });
});
