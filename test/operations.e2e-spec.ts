import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { inboundMessageEvent } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { configureMetaApp, connectPage } from './support/meta-fixtures';
import { metricSample } from './support/metrics';
import { ServiceProcess, freePort } from './support/service-process';
import { RecordingSocket } from './support/socket-client';
import { createTestDatabase } from './support/test-database';

const ADMIN = 'ops-admin-token-0123456789abcdef';
const METRICS_TOKEN = 'ops-metrics-token-0123456789abcdef';

type LogLine = Record<string, any>;

/** The built service as an operator runs it: its logs and its metrics, read from outside. */
describe('operating the service: logs and metrics', () => {
  let sandbox: MetaSandbox;
  let page: SandboxPage;
  let service: ServiceProcess;
  let org: { id: string; apiKey: string };
  let socket: RecordingSocket | undefined;

  const lines = (): LogLine[] =>
    service.output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          throw new Error(`a log line is not JSON: ${line}`);
        }
      });
  const lineWith = (predicate: (line: LogLine) => boolean, what: string) =>
    eventually(async () => lines().find(predicate), (line) => line !== undefined, 10000).catch(() => {
      throw new Error(`no log line ${what}:\n${service.output.slice(-3000)}`);
    }) as Promise<LogLine>;
  const metrics = async (token = METRICS_TOKEN) => {
    const response = await fetch(`${service.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    sandbox = await MetaSandbox.start();
    page = sandbox.addPage({ id: '5010', name: 'Ops Coffee', instagram: { id: '17850', username: 'ops.coffee' } });
    sandbox.addProfile('psid-ops-1', { first_name: 'Olga', last_name: 'Ops' });
    const port = await freePort();
    service = await ServiceProcess.start({
      PORT: String(port),
      DATABASE_URL: await createTestDatabase(),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'meta-inbox-ops-')),
      ADMIN_TOKEN: ADMIN,
      METRICS_TOKEN,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      META_GRAPH_URL: sandbox.url,
      META_OAUTH_DIALOG_URL: sandbox.url,
      SEND_MAX_ATTEMPTS: '1',
    });
    await service.healthy();
    sandbox.webhookTarget = `${service.baseUrl}/api/meta/webhook`;
    await configureMetaApp(service, sandbox, ADMIN);
    org = (await service.request('POST', '/api/admin/organizations', { token: ADMIN, body: { name: 'Ops' } })).body;
    await connectPage(service, sandbox, org.apiKey, page);
  });
  afterAll(async () => {
    socket?.close();
    if (service?.child.exitCode === null) {
      service.kill('SIGTERM');
      await service.exit();
    }
    await sandbox?.stop();
  });

  it('logs start-up in the one JSON format: the database it uses, then where it listens', async () => {
    const database = await lineWith((l) => l.context === 'Database', 'saying the database is ready');
    expect(database).toMatchObject({ level: 'info', database: 'external', msg: expect.stringContaining('ready') });
    const listening = await lineWith((l) => /^listening on /.test(l.msg), 'saying where it listens');
    expect(listening.url).toBe(service.baseUrl);
    for (const line of lines()) {
      expect(line).toEqual(expect.objectContaining({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: expect.any(String), msg: expect.any(String) }));
    }
  });

  it('logs a Page connecting, with the Page and Instagram account', async () => {
    const connected = await lineWith((l) => /^Meta connected/.test(l.msg), 'for the connection');
    expect(connected).toMatchObject({ organizationId: org.id, pageId: page.id, instagramAccountId: '17850', instagramUsername: 'ops.coffee' });
  });

  it('logs an accepted delivery with its event count and accounts, and counts deliveries and events', async () => {
    const delivered = await sandbox.postWebhook(inboundMessageEvent({ channel: 'messenger', recipientId: page.id, from: 'psid-ops-1', text: 'Hi!' }));
    expect(delivered.status).toBe(200);
    const refused = await sandbox.postWebhook(inboundMessageEvent({ channel: 'messenger', recipientId: page.id, from: 'psid-ops-1', text: 'forged' }), { signature: 'invalid' });
    expect(refused.status).toBe(403);
    // One line per delivery: the request's own, with what was kept.
    const accepted = await lineWith((l) => l.msg === 'POST /api/meta/webhook 200', 'for the accepted delivery');
    expect(accepted).toMatchObject({ res: { statusCode: 200 }, webhook: { object: 'page', events: 1, commentChanges: 0, accounts: [page.id], rows: 1 } });
    expect(lines().filter((l) => /webhook delivery accepted/.test(l.msg))).toEqual([]);
    // The job's row is deleted just after its handler returns: wait for both.
    const text = await eventually(
      metrics,
      (t) =>
        metricSample(t, 'meta_inbox_webhook_events_total{channel="facebook_messenger",stage="processed"}') === 1 &&
        metricSample(t, 'meta_inbox_jobs_waiting{kind="meta.inbound.events"}') === 0,
    );
    expect(metricSample(text, 'meta_inbox_webhook_deliveries_total{result="accepted",reason="none"}')).toBe(1);
    expect(metricSample(text, 'meta_inbox_webhook_deliveries_total{result="refused",reason="invalid_signature"}')).toBe(1);
    expect(metricSample(text, 'meta_inbox_webhook_events_total{channel="facebook_messenger",stage="accepted"}')).toBe(1);
    expect(metricSample(text, 'meta_inbox_jobs_oldest_age_seconds{kind="messaging.send-messages"}')).toBe(0);
  });

  it('logs a send that fails for good with the message, conversation, Page and Meta code, subcode and trace id, without a stack', async () => {
    const conversations = await eventually(
      () => service.request('GET', '/api/conversations', { token: org.apiKey }),
      (r) => r.body.data?.length === 1,
    );
    const conversationId = conversations.body.data[0].id;
    sandbox.failNext(1, { code: 100, subcode: 2018001, message: '(#100) No matching user found', path: /messages$/ });
    const sent = await service.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', conversationId, text: 'Sorry!' } });
    expect(sent.status).toBe(202);
    const messageId = sent.body.messages[0].id;
    const failed = await lineWith((l) => /^send failed for good/.test(l.msg), 'for the failed send');
    expect(failed).toMatchObject({ level: 'warn', messageId, conversationId, organizationId: org.id, account: page.id, code: 100, subcode: 2018001, fbtraceId: expect.any(String) });
    expect(failed.msg).toContain('No matching user found');
    expect(service.output).not.toMatch(/\n\s+at /);
    expect(lines().some((l) => l.stack !== undefined)).toBe(false);
    const text = await metrics(ADMIN);
    expect(metricSample(text, 'meta_inbox_sends_total{channel="facebook_messenger",status="failed",code="100"}')).toBe(1);
    expect(metricSample(text, 'meta_inbox_graph_request_duration_seconds_count{method="POST",path="me/messages",status="400"}')).toBe(1);
  });

  it('logs the connection expiring on a Graph 190 and the organization disconnecting', async () => {
    const conversationId = (await service.request('GET', '/api/conversations', { token: org.apiKey })).body.data[0].id;
    sandbox.failNext(1, { code: 190, subcode: 460, path: /messages$/ });
    await service.request('POST', '/api/messaging/send', { token: org.apiKey, body: { channel: 'facebook_messenger', conversationId, text: 'Still there?' } });
    const expired = await lineWith((l) => /^Meta connection expired/.test(l.msg), 'for the expiry');
    expect(expired).toMatchObject({ level: 'warn', organizationId: org.id, pageId: page.id });
    const disconnected = await service.request('DELETE', '/api/meta/connection', { token: org.apiKey });
    expect(disconnected.status).toBe(200);
    expect(await lineWith((l) => /^Meta disconnected/.test(l.msg), 'for the disconnection')).toMatchObject({ organizationId: org.id, pageId: page.id });
  });

  it('says why a request was refused in its request line', async () => {
    await service.request('GET', '/api/conversations', { token: 'not-a-key' });
    await service.request('POST', '/api/admin/organizations', { token: ADMIN, body: { name: '' } });
    const unauthorized = await lineWith((l) => l.res?.statusCode === 401 && l.req?.url === '/api/conversations', 'for the 401');
    expect(unauthorized).toMatchObject({ level: 'warn', reason: 'A valid API key is required', req: { method: 'GET', id: expect.any(String) } });
    const invalid = await lineWith((l) => l.res?.statusCode === 400 && l.req?.url === '/api/admin/organizations', 'for the 400');
    expect(invalid.reason).toContain('name');
  });

  it('serves Prometheus metrics to the admin token or METRICS_TOKEN only, with socket connections', async () => {
    expect((await fetch(`${service.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${service.baseUrl}/metrics`, { headers: { authorization: `Bearer ${org.apiKey}` } })).status).toBe(401);
    socket = await RecordingSocket.connect(service.baseUrl, org.apiKey);
    const text = await eventually(metrics, (t) => metricSample(t, 'meta_inbox_socket_connections') === 1);
    expect(text).toContain('# TYPE meta_inbox_integrator_deliveries_total counter');
    expect(text).toContain('# TYPE meta_inbox_graph_request_duration_seconds histogram');
    expect(text).toMatch(/^meta_inbox_process_cpu_seconds_total /m);
    socket.close();
    socket = undefined;
    await eventually(metrics, (t) => metricSample(t, 'meta_inbox_socket_connections') === 0);
  });

  it('writes pino-pretty lines with LOG_FORMAT=pretty, from the very first one', async () => {
    const pretty = await ServiceProcess.start({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'chatty', DATA_DIR: mkdtempSync(join(tmpdir(), 'meta-inbox-pretty-')) });
    expect(await pretty.exit()).toBe(1);
    expect(pretty.output).toMatch(/FATAL.*LOG_LEVEL/);
    expect(pretty.output.trim().startsWith('{')).toBe(false);
  });
});
