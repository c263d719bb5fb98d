import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorMessages } from '../src/common/domain-error';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import type { SandboxPage } from '../src/sandbox/sandbox.types';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { configureMetaApp, connectPage, oauthCallback, oauthState } from './support/meta-fixtures';
import { freePort, ServiceProcess } from './support/service-process';
import { RecordingSocket } from './support/socket-client';
import { createTestDatabase } from './support/test-database';

const ADMIN = 'built-graph-errors-admin-token';
const SEND_PATH = /\/me\/messages$/;

/**
 * Graph API errors as the built service (`node dist/src/main.js`) reads them. Jest turns every
 * package into CommonJS, which hid that the shipped code met two `AxiosError` classes; this
 * suite runs the artefact that ships, against the sandbox's fault injection.
 */
describe('Graph API errors in the built service', () => {
  let sandbox: MetaSandbox;
  let service: ServiceProcess;
  let socket: RecordingSocket;
  let apiKey: string;
  let page: SandboxPage;
  let conversationId: string;

  beforeAll(async () => {
    sandbox = await MetaSandbox.start();
    const port = await freePort();
    service = await ServiceProcess.start({
      DATABASE_URL: await createTestDatabase(),
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'mi-graph-errors-')),
      ADMIN_TOKEN: ADMIN,
      META_GRAPH_URL: sandbox.url,
      META_OAUTH_DIALOG_URL: sandbox.url,
      META_GRAPH_TIMEOUT_MS: '1000',
      SEND_MAX_ATTEMPTS: '5',
      // Pacing far above the sends here, so the slots of sends run together fall due together (batch requests).
      META_PAGE_SENDS_PER_SECOND: '100000',
      LOG_LEVEL: 'warn',
    });
    await service.healthy();
    sandbox.webhookTarget = `${service.baseUrl}/api/meta/webhook`;
    await configureMetaApp(service, sandbox, ADMIN);
    apiKey = (await service.request('POST', '/api/admin/organizations', { token: ADMIN, body: { name: 'Built' } })).body.apiKey;
    page = sandbox.addPage({ id: '720000000000001', name: 'Built Page' });
    await connectPage(service, sandbox, apiKey, page);
    socket = await RecordingSocket.connect(service.baseUrl, apiKey);
    conversationId = await customerWrites('900000000000001', 'hello from a customer');
  });

  afterAll(async () => {
    socket?.close();
    if (service?.child.exitCode === null) {
      service.kill('SIGTERM');
      await service.exit();
    }
    await sandbox?.stop();
  });

  /** A customer's first message; resolves with its conversation's id. */
  async function customerWrites(psid: string, text: string): Promise<string> {
    sandbox.addProfile(psid, { first_name: 'Dana', last_name: 'Ito' });
    const mid = newMid('messenger');
    const delivered = await sandbox.postWebhook(webhookOf('messenger', page.id, messageEvent('messenger', { user: psid, account: page.id }, { mid, text })));
    expect(delivered.status).toBe(200);
    const found = await eventually(
      async () => {
        const conversations = (await service.request('GET', '/api/conversations', { token: apiKey })).body.data as any[];
        for (const conversation of conversations) {
          const messages = (await service.request('GET', `/api/conversations/${conversation.id}/messages`, { token: apiKey })).body.data as any[];
          if (messages.some((m) => m.externalId === mid)) return conversation.id as string;
        }
        return undefined;
      },
      (id) => id !== undefined,
    );
    return found!;
  }

  const send = (text: string, wait = false) =>
    service.request('POST', `/api/messaging/send${wait ? '?wait=true' : ''}`, { token: apiKey, body: { channel: 'facebook_messenger', conversationId, text } });

  const message = async (id: string) => {
    const messages = (await service.request('GET', `/api/conversations/${conversationId}/messages?limit=100`, { token: apiKey })).body.data as any[];
    return messages.find((m) => m.id === id);
  };

  /** Send API calls Meta received carrying this text. */
  const callsFor = (text: string) => sandbox.requests.filter((r) => SEND_PATH.test(r.path) && (r.body as any)?.message?.text === text).length;

  const RETRY_BACKOFF_MS = 3500; // the first retry comes e¹ ≈ 2.7 s after a failure

  it('fails codes 10, 100 and 551 once, with their reasons, and never retries them', async () => {
    const cases = [
      { code: 10, message: '(#10) This message is sent outside of allowed window.', error: /lacks a permission/ },
      { code: 100, message: '(#100) Param recipient[id] must be a valid ID string', error: /rejected the message as invalid/ },
      { code: 551, message: 'This person isn\u2019t available right now.', error: /not available on Messenger/ },
    ];
    const texts: string[] = [];
    for (const { code, message: metaMessage, error } of cases) {
      const text = `permanent ${code}`;
      texts.push(text);
      sandbox.failNext(1, { code, message: metaMessage, path: SEND_PATH });
      const answer = await send(text, true);
      expect(answer.status).toBe(200);
      expect(answer.body.messages[0]).toMatchObject({ status: 'failed', errorDetails: { code, message: metaMessage } });
      expect(answer.body.messages[0].error).toMatch(error);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS));
    for (const text of texts) expect(callsFor(text)).toBe(1);
    const status = await service.request('GET', '/api/meta/connection/status', { token: apiKey });
    expect(status.body.status).toBe('active');
  });

  it.each([
    ['code 1', { code: 1, httpStatus: 500 }],
    ['code 2', { code: 2, httpStatus: 503 }],
    ['code 4', { code: 4 }],
    ['code 613', { code: 613 }],
    ['HTTP 502', { httpStatus: 502 }],
    ['a timeout', { delayMs: 2500 }],
  ])('retries %s and then publishes', async (label, fault) => {
    const text = `transient ${label}`;
    sandbox.failNext(1, { ...fault, path: SEND_PATH });
    const answer = await send(text);
    expect(answer.status).toBe(202);
    const id = answer.body.messages[0].id;
    const published = await eventually(() => message(id), (m) => m?.status === 'published' || m?.status === 'failed', 15000);
    expect(published).toMatchObject({ status: 'published', error: null });
    expect(published.externalId).toMatch(/^m_/);
    expect(callsFor(text)).toBe(2);
    await eventually(
      async () => socket.events.some((e) => e.event === 'message.updated' && e.payload.id === id && e.payload.status === 'published'),
      (seen) => seen,
    );
  });

  it('sends a burst to many customers in batch requests, each call answered and classified on its own', async () => {
    const psids = Array.from({ length: 20 }, (_, i) => `9000000000002${String(i).padStart(2, '0')}`);
    for (const psid of psids) sandbox.addProfile(psid, { first_name: 'Burst', last_name: psid });
    const before = new Set(((await service.request('GET', '/api/conversations?limit=100', { token: apiKey })).body.data as any[]).map((c) => c.id));
    await Promise.all(psids.map((psid) => sandbox.postWebhook(webhookOf('messenger', page.id, messageEvent('messenger', { user: psid, account: page.id }, { text: 'burst' })))));
    const conversations = await eventually(
      async () => ((await service.request('GET', '/api/conversations?limit=100', { token: apiKey })).body.data as any[]).map((c) => c.id as string).filter((id) => !before.has(id)),
      (ids) => ids.length === psids.length,
    );
    // The first call Meta takes is refused for good: only its send fails.
    sandbox.failNext(1, { code: 551, path: SEND_PATH });
    const answers = await Promise.all(
      conversations.map((id, i) =>
        service.request('POST', '/api/messaging/send', { token: apiKey, body: { channel: 'facebook_messenger', conversationId: id, text: `burst ${i}` } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(conversations.map(() => 202));
    const settled = await eventually(
      () =>
        Promise.all(
          conversations.map(async (id, i) => {
            const messages = (await service.request('GET', `/api/conversations/${id}/messages`, { token: apiKey })).body.data as any[];
            return messages.find((m) => m.id === answers[i].body.messages[0].id);
          }),
        ),
      (list) => list.every((m) => m?.status === 'published' || m?.status === 'failed'),
      15000,
    );
    const failed = settled.filter((m) => m.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toMatch(/not available on Messenger/);
    for (const m of settled.filter((m) => m.status === 'published')) expect(m.externalId).toMatch(/^m_/);
    expect(sandbox.requests.filter((r) => r.path === '/v21.0/').length).toBeGreaterThan(0);
    expect(sandbox.requests.filter((r) => r.batched && SEND_PATH.test(r.path)).length).toBeGreaterThan(1);
  });

  it('fails a send on code 190 with the reconnect message, marks the connection expired and says so on the socket', async () => {
    sandbox.failNext(1, { code: 190, message: 'Error validating access token: Session has expired.', path: SEND_PATH });
    const answer = await send('expiry', true);
    expect(answer.status).toBe(409);
    expect(answer.body.message).toBe(ErrorMessages.connectionExpired);
    const [record] = (await service.request('GET', `/api/conversations/${conversationId}/messages?limit=100`, { token: apiKey })).body.data.filter(
      (m: any) => m.text === 'expiry',
    );
    expect(record).toMatchObject({ status: 'failed', error: ErrorMessages.connectionExpired, errorDetails: { code: 190 } });
    expect(callsFor('expiry')).toBe(1);
    const status = await service.request('GET', '/api/meta/connection/status', { token: apiKey });
    expect(status.body).toMatchObject({ connected: true, status: 'expired' });
    await socket.waitFor('connection.updated', (payload) => payload.status === 'expired');
    expect((await send('after expiry')).body.message).toBe(ErrorMessages.connectionExpired);
  });

  it('marks the connection expired when a profile fetch meets code 190', async () => {
    await connectPage(service, sandbox, apiKey, page);
    socket.events.length = 0;
    const psid = '900000000000002';
    sandbox.failNext(1, { code: 190, path: new RegExp(`/${psid}$`) });
    await customerWrites(psid, 'a new customer while the token expires');
    await socket.waitFor('connection.updated', (payload) => payload.status === 'expired');
    expect(sandbox.requests.filter((r) => r.path.endsWith(`/${psid}`))).toHaveLength(1);
  });

  it('retries a profile fetch after a 5xx, and never after a refusal', async () => {
    await connectPage(service, sandbox, apiKey, page);
    const retried = '900000000000003';
    const refused = '900000000000004';
    sandbox.failNext(1, { code: 2, httpStatus: 500, path: new RegExp(`/${retried}$`) });
    sandbox.failNext(1, { code: 100, path: new RegExp(`/${refused}$`) });
    await customerWrites(retried, 'profile after a retry');
    await customerWrites(refused, 'profile refused');
    await eventually(
      async () => sandbox.requests.filter((r) => r.path.endsWith(`/${retried}`) && r.status === 200).length,
      (n) => n === 1,
      15000,
    );
    await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS));
    expect(sandbox.requests.filter((r) => r.path.endsWith(`/${retried}`))).toHaveLength(2);
    expect(sandbox.requests.filter((r) => r.path.endsWith(`/${refused}`))).toHaveLength(1);
    const status = await service.request('GET', '/api/meta/connection/status', { token: apiKey });
    expect(status.body.status).toBe('active');
  });

  it("shows Meta's own reason when the OAuth code exchange is refused", async () => {
    const state = await oauthState(service, apiKey);
    const callback = await oauthCallback(service, { code: 'not-a-code-meta-issued', state });
    expect(callback.status).toBe(502);
    const body = await callback.text();
    expect(body).toContain('Meta says: (#100) Invalid verification code format.');
    expect(body).not.toMatch(/Request failed with status code|Graph API call failed/);
  });
});
