import { INBOUND_EVENTS_JOB } from '../src/mods/meta/jobs/inbound-event.job';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { editEvent, messageEvent, newMid, Parties, webhookOf, webhookSignatureHeaders } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { connectPage, startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { ADMIN_TOKEN, TestApp } from './support/test-app';

const NUL = 'a\u0000b';
const deepJson = (depth: number) => `{"text":"x","nested":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const THREE_MB = 'x'.repeat(3 * 1024 * 1024);

/**
 * Bad input never loses good input: each kind of broken input a client or a forged delivery can
 * send gets a clear 4xx or is stored sanitised, the service stays up, and one bad event never
 * holds back the good events delivered with it.
 */
describe('bad input', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };
  const PAGE = '307000000000001';
  const FUZZ_PAGE = '307000000000002';
  let seq = 0;
  const person = (): Parties => ({ account: PAGE, user: `psid-bad-${++seq}` });

  const raw = (method: string, path: string, body: string | undefined, token: string, contentType = 'application/json') =>
    fetch(`${t.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) }, body });
  const message = async (mid: string) => (await t.db.query('SELECT * FROM messages WHERE external_id = $1', [mid])).rows[0];
  const signedRaw = (body: string) =>
    fetch(`${t.baseUrl}/api/meta/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...webhookSignatureHeaders(body, sandbox.appSecret) }, body });
  const healthy = async () => expect((await fetch(`${t.baseUrl}/health`)).status).toBe(200);
  /** Inbound work that failed and waits for a retry (a profile fetch failing is another matter). */
  const stuckJobs = async () => (await t.db.query(`SELECT kind, last_error FROM inbound_queue WHERE last_error IS NOT NULL AND kind = $1`, [INBOUND_EVENTS_JOB])).rows;
  /** Rows of inbound work ever stored (applied ones are deleted, their numbers stay taken). */
  const storedRows = async () => Number((await t.db.query(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM inbound_queue_id_seq`)).rows[0].n);

  beforeAll(async () => {
    ({ t, sandbox, org } = await startWithConnectedPage({ id: PAGE, name: 'Bad Input Page' }, 'Bad Input'));
  });
  afterAll(() => stopWithSandbox({ t, sandbox }));

  describe('every route of the API', () => {
    it('answers no 5xx to NUL bytes, deep nesting, huge strings, absurd numbers and wrong types, and stays up', async () => {
      const spec = (await t.request('GET', '/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
      const routes = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
      expect(routes.length).toBeGreaterThan(15);
      const bodies = [
        JSON.stringify({ name: NUL, text: NUL, channel: 'facebook_messenger', contactId: '00000000-0000-4000-8000-000000000000', participantExternalId: 'psid-x', participantName: NUL, reaction: NUL, pageId: NUL, meta_messaging_verify_token: NUL }),
        deepJson(100_000),
        JSON.stringify({ name: 1e30, text: 1e30, limit: 1e30, channel: ['x'], contactId: { $ne: null }, attachmentIds: 'x', timestamp: 1e30 }),
        JSON.stringify([NUL]),
        '{"truncated": ',
        'null',
      ];
      const paramValues = ['%00', encodeURIComponent(NUL), '00000000-0000-4000-8000-000000000000', 'x'.repeat(2000)];
      const queries = ['', '?cursor=%00&limit=1e30&channel=%00&from=%00&to=1e30', `?after=${'9'.repeat(400)}&limit=-1&wait=%00&start=%00&state=%00`];
      const failures: string[] = [];
      // An organization of its own, so routes that change things (disconnecting, say) touch nothing else.
      sandbox.addPage({ id: FUZZ_PAGE, name: 'Fuzzed Page' });
      const fuzzer = await t.createOrganization('Fuzzer');
      await connectPage(t, sandbox, fuzzer.apiKey, { id: FUZZ_PAGE });
      for (const { method, path } of routes) {
        const token = path.startsWith('/api/admin') ? ADMIN_TOKEN : fuzzer.apiKey;
        for (const param of paramValues) {
          const concrete = path.replace(/\{[^}]+\}/g, param);
          for (const query of queries) {
            const answers = ['GET', 'DELETE'].includes(method)
              ? [await raw(method, `${concrete}${query}`, undefined, token)]
              : await Promise.all(bodies.map((body) => raw(method, `${concrete}${query}`, body, token)));
            for (const answer of answers) if (answer.status >= 500) failures.push(`${method} ${concrete}${query} → ${answer.status} ${await answer.text()}`);
          }
        }
        if (!['GET', 'DELETE'].includes(method)) {
          const concrete = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
          const answer = await raw(method, concrete, JSON.stringify({ name: THREE_MB, text: THREE_MB, participantName: THREE_MB, meta_messaging_app_secret: THREE_MB }), token);
          if (answer.status >= 500) failures.push(`${method} ${concrete} (3 MB strings) → ${answer.status} ${await answer.text()}`);
        }
      }
      expect(failures).toEqual([]);
      await healthy();
      // Still the same service, answering as usual.
      expect((await t.request('GET', '/api/meta/connection/status', { token: org.apiKey })).body.pageId).toBe(PAGE);
    });

    it('refuses NUL in a send text, an organization name, a system-config value and participantName with 400, changing nothing', async () => {
      const before = (await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN })).body;
      const organizations = (await t.db.query('SELECT count(*)::int AS n FROM organizations')).rows[0].n;
      const messages = (await t.db.query('SELECT count(*)::int AS n FROM messages')).rows[0].n;
      const answers = [
        await t.request('POST', '/api/admin/organizations', { token: ADMIN_TOKEN, body: { name: NUL } }),
        await t.request('PUT', '/api/admin/system-config', { token: ADMIN_TOKEN, body: { meta_messaging_verify_token: NUL } }),
        await t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId: '00000000-0000-4000-8000-000000000000', text: NUL } }),
        await t.request('POST', '/api/conversations', { token: org.apiKey, body: { channel: 'facebook_messenger', participantExternalId: 'psid-new', participantName: NUL } }),
      ];
      for (const answer of answers) expect([answer.status, answer.body.message]).toEqual([400, 'Text must not contain NUL (\\u0000) characters']);
      expect((await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN })).body).toEqual(before);
      expect((await t.db.query('SELECT count(*)::int AS n FROM organizations')).rows[0].n).toBe(organizations);
      expect((await t.db.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(messages);
    });

    it('refuses deeply nested JSON on the send route with 400', async () => {
      const answer = await raw('POST', '/api/messaging/send', deepJson(100_000), org.apiKey);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { message: string }).message).toBe('The JSON body is nested deeper than 64 levels');
      await healthy();
    });

    it('bounds a send text as Meta does (2,000 characters): a 3 MB text is refused with 400', async () => {
      const answer = await t.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId: '00000000-0000-4000-8000-000000000000', text: THREE_MB } });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain('2000');
    });
  });

  describe('uploads', () => {
    const attachmentCount = async () => (await t.db.query('SELECT count(*)::int AS n FROM attachments')).rows[0].n;

    it('refuses a second file part with 400 instead of silently dropping it, storing nothing', async () => {
      const before = await attachmentCount();
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('\x89PNG one')], { type: 'image/png' }), 'one.png');
      form.append('file', new Blob([Buffer.from('\x89PNG two')], { type: 'image/png' }), 'two.png');
      const answer = await fetch(`${t.baseUrl}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${org.apiKey}` }, body: form });
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { message: string }).message).toBe('Send exactly one file, in a multipart field named "file"');
      expect(await attachmentCount()).toBe(before);
    });

    it('refuses a truncated multipart upload with 400, storing nothing', async () => {
      const before = await attachmentCount();
      const boundary = 'XyZ';
      const cut = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG partial bytes and then noth`;
      const answer = await raw('POST', '/api/attachments', cut, org.apiKey, `multipart/form-data; boundary=${boundary}`);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { message: string }).message).toMatch(/malformed or was cut off/);
      expect(await attachmentCount()).toBe(before);
      await healthy();
    });

    it('keeps a NUL out of a stored file name', async () => {
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('\x89PNG')], { type: 'image/png' }), 'bad\u0000name.png');
      const answer = await fetch(`${t.baseUrl}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${org.apiKey}` }, body: form });
      expect(answer.status).toBe(201);
    });
  });

  describe("Meta's webhook", () => {
    it('stores every good event of a mixed delivery, and the bad ones sanitised: NUL removed, absurd time replaced, huge text bounded', async () => {
      const p = person();
      const good1 = newMid('messenger');
      const withNul = newMid('messenger');
      const farFuture = newMid('messenger');
      const huge = newMid('messenger');
      const good2 = newMid('messenger');
      const other = person();
      const good3 = newMid('messenger');
      const sentAt = Date.now() - 5000;
      const delivery = webhookOf(
        'messenger',
        PAGE,
        messageEvent('messenger', p, { mid: good1, text: 'first good', timestamp: sentAt }),
        messageEvent('messenger', p, { mid: withNul, text: NUL, quickReplyPayload: `q${NUL}` }),
        messageEvent('messenger', p, { mid: farFuture, text: 'when?', timestamp: 1e30 }),
        messageEvent('messenger', p, { mid: huge, text: THREE_MB }),
        messageEvent('messenger', p, { mid: good2, text: 'second good' }),
        messageEvent('messenger', other, { mid: good3, text: 'another person' }),
      );
      const arrived = Date.now();
      expect((await sandbox.postWebhook(delivery)).status).toBe(200);
      await eventually(async () => Promise.all([good1, withNul, farFuture, huge, good2, good3].map(message)), (rows) => rows.every(Boolean), 15000);
      expect((await message(good1)).text).toBe('first good');
      expect((await message(good2)).text).toBe('second good');
      expect((await message(good3)).text).toBe('another person');
      expect(await message(withNul)).toMatchObject({ text: 'ab', metadata: { quickReplyPayload: 'qab' } });
      const future = await message(farFuture);
      expect(future.sent_at.getTime()).toBeGreaterThanOrEqual(arrived - 1000);
      expect(future.sent_at.getTime()).toBeLessThanOrEqual(Date.now());
      expect((await message(huge)).text).toHaveLength(20_000);
      expect(await stuckJobs()).toEqual([]);
    });

    it('stores an edit count no column could hold bounded, and passes over an event the database still refuses, applying the events after it', async () => {
      const p = person();
      const first = newMid('messenger');
      const poison = newMid('messenger');
      const after = newMid('messenger');
      // Fault injection: the database refuses one message as data (SQLSTATE 22023), as it would
      // any value that slipped past every check.
      await t.db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN
          IF NEW.text = 'poison' THEN RAISE EXCEPTION 'refused as data' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
      await t.db.query(`CREATE TRIGGER refuse_poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
      try {
        const delivery = webhookOf(
          'messenger',
          PAGE,
          messageEvent('messenger', p, { mid: first, text: 'original' }),
          editEvent(p, { mid: first, text: 'edited a ten-billionth time', numEdit: 1e10 }),
          messageEvent('messenger', p, { mid: poison, text: 'poison' }),
          messageEvent('messenger', p, { mid: after, text: 'after the bad one' }),
        );
        expect((await sandbox.postWebhook(delivery)).status).toBe(200);
        expect((await eventually(() => message(after), (row) => !!row, 15000)).text).toBe('after the bad one');
      } finally {
        await t.db.query('DROP TRIGGER refuse_poison ON messages; DROP FUNCTION refuse_poison()');
      }
      expect(await message(first)).toMatchObject({ text: 'edited a ten-billionth time', edit_count: 2_147_483_647 });
      expect(await message(poison)).toBeUndefined();
      expect(await stuckJobs()).toEqual([]);
    });

    it('refuses a signed delivery nested deeper than 64 levels with 400, keeping nothing, and stays up', async () => {
      const before = await storedRows();
      const answer = await signedRaw(`{"object":"page","entry":[{"id":"${PAGE}","messaging":[${deepJson(100_000)}]}]}`);
      expect(answer.status).toBe(400);
      expect(await storedRows()).toBe(before);
      await healthy();
    });

    it('still refuses a badly signed delivery with 403 whatever it holds', async () => {
      const answer = await fetch(`${t.baseUrl}/api/meta/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' }, body: deepJson(1000) });
      expect(answer.status).toBe(403);
    });
  });
});
