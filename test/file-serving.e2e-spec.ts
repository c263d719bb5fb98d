import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { StorageService } from '../src/storage/storage.service';
import { eventually } from './support/eventually';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

const HTML = Buffer.from('<!doctype html><script>fetch("/api/contacts?steal="+document.cookie)</script><h1>hi</h1>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><script>alert(1)</script><rect width="1" height="1"/></svg>');

/**
 * Stored files are served so that nothing in them can run on the API's origin: media inline,
 * everything else as a download, active types never as themselves, and every answer with
 * nosniff and a CSP sandbox — for uploads and for copies of inbound media alike.
 */
describe('serving stored files', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };
  const PAGE = '306000000000001';

  beforeAll(async () => {
    ({ t, sandbox, org } = await startWithConnectedPage({ id: PAGE, name: 'Files Page' }, 'Files'));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }));

  async function upload(body: Buffer, type: string, name: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([body], { type }), name);
    const response = await fetch(`${t.baseUrl}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${org.apiKey}` }, body: form });
    expect(response.status).toBe(201);
    return ((await response.json()) as { url: string }).url;
  }

  const expectSafeHeaders = (headers: Headers) => {
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-security-policy')).toBe('sandbox');
  };

  it('serves uploaded images, video and audio inline and everything else as a download, each with nosniff and a CSP sandbox', async () => {
    const cases: [body: Buffer, type: string, disposition: string][] = [
      [Buffer.from('\x89PNG fake'), 'image/png', 'inline'],
      [Buffer.from('fake video'), 'video/mp4', 'inline'],
      [Buffer.from('ID3 fake audio'), 'audio/mpeg', 'inline'],
      [Buffer.from('%PDF-1.7'), 'application/pdf', 'attachment'],
      [Buffer.from('a,b\n1,2'), 'text/csv', 'attachment'],
      [Buffer.from('plain words'), 'text/plain', 'attachment'],
    ];
    for (const [body, type, disposition] of cases) {
      const file = await fetch(await upload(body, type, 'f'));
      expect(file.status).toBe(200);
      expect([type, file.headers.get('content-type'), file.headers.get('content-disposition')]).toEqual([type, type, disposition]);
      expectSafeHeaders(file.headers);
      expect(Buffer.from(await file.arrayBuffer())).toEqual(body);
    }
  });

  it('never serves an uploaded HTML page or script-bearing SVG as itself: a download of opaque bytes in a sandbox', async () => {
    for (const [body, type] of [[HTML, 'text/html'], [SVG, 'image/svg+xml'], [HTML, 'application/xhtml+xml'], [Buffer.from('alert(1)'), 'text/javascript']] as const) {
      const file = await fetch(await upload(body, type, 'x'));
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('application/octet-stream');
      expect(file.headers.get('content-disposition')).toBe('attachment');
      expectSafeHeaders(file.headers);
      expect(Buffer.from(await file.arrayBuffer())).toEqual(body);
    }
  });

  it('applies the same rules to copies of inbound media whose CDN answers text/html or SVG', async () => {
    const mid = newMid('messenger');
    const attachments = [
      { type: 'file', payload: { url: sandbox.cdnUrl(HTML, 'text/html; charset=utf-8') } },
      { type: 'image', payload: { url: sandbox.cdnUrl(SVG, 'image/svg+xml') } },
      { type: 'image', payload: { url: sandbox.cdnUrl(Buffer.from('\x89PNG fake'), 'image/png') } },
    ];
    await sandbox.postWebhook(webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: 'psid-files' }, { mid, attachments })));
    const rows = await eventually(
      async () => (await t.db.query(`SELECT a.* FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.external_id = $1 ORDER BY a.created_at`, [mid])).rows,
      (found) => found.length === 3 && found.every((a: any) => a.status === 'stored'),
      15000,
    );
    const served = [];
    for (const row of rows) {
      const file = await fetch(t.app.get(StorageService).signedUrl(row.storage_key));
      expectSafeHeaders(file.headers);
      served.push([file.headers.get('content-type'), file.headers.get('content-disposition')]);
    }
    expect(served).toEqual([
      ['application/octet-stream', 'attachment'],
      ['application/octet-stream', 'attachment'],
      ['image/png', 'inline'],
    ]);
  });

  it('sends nosniff and the sandbox with refusals too (bad signature, missing file)', async () => {
    const url = new URL(await upload(Buffer.from('\x89PNG'), 'image/png', 'p'));
    url.searchParams.set('signature', 'forged');
    const forged = await fetch(url);
    expect(forged.status).toBe(404);
    expectSafeHeaders(forged.headers);
    const missing = await fetch(t.app.get(StorageService).signedUrl('no-such-file'));
    expect(missing.status).toBe(404);
    expectSafeHeaders(missing.headers);
  });
});
