import { createHmac } from 'node:crypto';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, postSigned, webhookBody, webhookOf } from '../src/sandbox/webhook-events';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { ADMIN_TOKEN, TestApp } from './support/test-app';
import { eventually } from './support/eventually';

describe('Meta webhook endpoint', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  const PAGE = '301000000000001';
  const IG = '17841430100000001';

  const count = async (sql: string, params: unknown[] = []) => Number((await t.db.query(sql, params)).rows[0].count);
  /** Rows of inbound work ever stored (applied ones are deleted, their numbers stay taken). */
  const storedRows = () => count(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS count FROM inbound_queue_id_seq`);
  const messagesWith = (text: string) => count(`SELECT count(*) FROM messages WHERE text = $1`, [text]);

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox());
    sandbox.addPage({ id: PAGE, name: 'Webhook Page', instagram: { id: IG, username: 'webhook.shop' } });
    const org = await t.createOrganization('Webhook Org');
    await connectPage(t, sandbox, org.apiKey, { id: PAGE });
  });
  afterAll(async () => {
    await t.close();
    await sandbox.stop();
  });

  describe('subscription check (GET)', () => {
    const verify = (query: Record<string, string>) => fetch(`${t.baseUrl}/api/meta/webhook?${new URLSearchParams(query)}`);

    it('echoes hub.challenge as text when the verify token matches', async () => {
      const res = await verify({ 'hub.mode': 'subscribe', 'hub.verify_token': sandbox.verifyToken, 'hub.challenge': '1158201444' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('1158201444');
    });

    it.each([
      ['a wrong token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' }],
      ['another mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': 'sandbox-verify-token', 'hub.challenge': '1' }],
      ['no token', { 'hub.mode': 'subscribe', 'hub.challenge': '1' }],
    ])('refuses %s with 403', async (_, query) => {
      const res = await verify(query);
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain('1158201444');
    });
  });

  describe('deliveries (POST)', () => {
    it('refuses a missing or wrong signature with 403 and keeps nothing', async () => {
      const before = await storedRows();
      for (const signature of ['missing', 'invalid'] as const) {
        const body = webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: '9001' }, { text: `forged ${signature}` }));
        const res = await sandbox.postWebhook(body, { signature });
        expect(res.status).toBe(403);
      }
      // Instagram deliveries are checked just the same.
      const ig = webhookOf('instagram', IG, messageEvent('instagram', { account: IG, user: '9002' }, { text: 'forged instagram' }));
      expect((await sandbox.postWebhook(ig, { signature: 'invalid' })).status).toBe(403);
      expect(await storedRows()).toBe(before);
      // A later valid delivery is processed; the forged ones never are.
      await sandbox.postWebhook(webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: '9001' }, { text: 'genuine' })));
      await eventually(() => messagesWith('genuine'), (n) => n === 1);
      expect(await count(`SELECT count(*) FROM messages WHERE text LIKE 'forged%'`)).toBe(0);
    });

    it('checks the signature over the exact bytes received', async () => {
      const raw = JSON.stringify(webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: '9003' }, { text: 'tampered' })));
      const signature = `sha256=${createHmac('sha256', sandbox.appSecret).update(raw).digest('hex')}`;
      const tampered = raw.replace('tampered', 'tampereD');
      const res = await fetch(`${t.baseUrl}/api/meta/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: tampered });
      expect(res.status).toBe(403);
    });

    it.each([
      ['an array', []],
      ['no entry', { object: 'page' }],
      ['entry not a list', { object: 'page', entry: { id: PAGE } }],
      ['object not a string', { object: 7, entry: [] }],
    ])('answers 400 to a validly signed body that is %s', async (_, body) => {
      const res = await sandbox.postWebhook(body as object);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });

    it('answers 200 to an unknown object and keeps nothing', async () => {
      const before = await storedRows();
      const res = await sandbox.postWebhook({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [] }] });
      expect(res.status).toBe(200);
      expect(await storedRows()).toBe(before);
    });

    it('answers 200 to an unknown Page and stores nothing for it, while a known Page in the same delivery is processed', async () => {
      const stranger = messageEvent('messenger', { account: '999999999', user: '9004' }, { text: 'to a stranger page' });
      const known = messageEvent('messenger', { account: PAGE, user: '9004' }, { text: 'to the known page' });
      const res = await sandbox.postWebhook(webhookBody('messenger', [{ account: '999999999', messaging: [stranger] }, { account: PAGE, messaging: [known] }]));
      expect(res.status).toBe(200);
      await eventually(() => messagesWith('to the known page'), (n) => n === 1);
      expect(await messagesWith('to a stranger page')).toBe(0);
      const unknownIg = await sandbox.postWebhook(webhookOf('instagram', '1784149999', messageEvent('instagram', { account: '1784149999', user: '9005' }, { text: 'unknown ig' })));
      expect(unknownIg.status).toBe(200);
    });

    it('acknowledges a 200-event delivery and applies every event of it', async () => {
      const events = Array.from({ length: 200 }, (_, i) => messageEvent('messenger', { account: PAGE, user: `batch-${i % 20}` }, { text: `batched ${i}` }));
      const res = await sandbox.postWebhook(webhookOf('messenger', PAGE, ...events));
      expect(res.status).toBe(200);
      await eventually(() => count(`SELECT count(*) FROM messages WHERE text LIKE 'batched %'`), (n) => n === 200, 20000);
    });
  });

  it('verifies signatures with a new app secret as soon as an admin saves it, and no longer with the old one', async () => {
    const url = `${t.baseUrl}/api/meta/webhook`;
    const body = () => webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: '9101' }, { text: 'after rotation' }));
    // A verified delivery first, so the credentials are already held in memory.
    expect((await postSigned(url, body(), sandbox.appSecret)).status).toBe(200);
    const setSecret = (secret: string) => t.request('PUT', '/api/admin/system-config', { token: ADMIN_TOKEN, body: { meta_messaging_app_secret: secret } });
    expect((await setSecret('rotated-app-secret')).status).toBe(200);
    try {
      expect((await postSigned(url, body(), sandbox.appSecret)).status).toBe(403);
      expect((await postSigned(url, body(), 'rotated-app-secret')).status).toBe(200);
    } finally {
      expect((await setSecret(sandbox.appSecret)).status).toBe(200);
    }
    expect((await postSigned(url, body(), sandbox.appSecret)).status).toBe(200);
  });

  it('refuses deliveries while no Meta app is configured (nothing can be verified)', async () => {
    const bare = await TestApp.start();
    try {
      const res = await postSigned(`${bare.baseUrl}/api/meta/webhook`, webhookOf('messenger', PAGE, messageEvent('messenger', { account: PAGE, user: '1' }, { text: 'x' })), 'any-secret');
      expect(res.status).toBe(403);
      expect(Number((await bare.db.query(`SELECT count(*) FROM inbound_queue`)).rows[0].count)).toBe(0);
    } finally {
      await bare.close();
    }
  });
});
