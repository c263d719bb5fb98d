import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'pg';
import { MIGRATIONS } from '../src/database/migrations';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { FakeIntegrator } from './support/fake-integrator';
import { configureMetaApp, connectPage } from './support/meta-fixtures';
import { ServiceProcess, freePort, waitUntil } from './support/service-process';
import { RecordingSocket } from './support/socket-client';
import { createTestDatabase } from './support/test-database';

const ADMIN = 'multi-instance-admin-token';
const PAGE_ID = '710000000000001';

/** Two instances of the service on one PostgreSQL, as behind a load balancer. */
describe('two instances on one database', () => {
  let databaseUrl: string;
  let db: Pool;
  let sandbox: MetaSandbox;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let apiKey: string;
  const sockets: RecordingSocket[] = [];

  const start = async (name: string) => {
    const port = await freePort();
    return ServiceProcess.start({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: mkdtempSync(join(tmpdir(), `mi-${name}-`)),
      ADMIN_TOKEN: ADMIN,
      ENCRYPTION_KEY: 'b'.repeat(64),
      META_GRAPH_URL: sandbox.url,
      META_OAUTH_DIALOG_URL: sandbox.url,
      // Shows each completed job, so the test can see which instance ran it.
      LOG_LEVEL: 'debug',
      // A small per-Page budget, so the shared sends below take several seconds of it.
      META_PAGE_SENDS_PER_SECOND: '10',
      // The integrator endpoint below listens on loopback.
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    });
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    db = new Pool({ connectionString: databaseUrl, max: 2 });
    sandbox = await MetaSandbox.start();
    // Started at the same moment: both race for the empty schema.
    [a, b] = await Promise.all([start('a'), start('b')]);
    await Promise.all([a.healthy(), b.healthy()]);
  });

  afterAll(async () => {
    sockets.forEach((socket) => socket.close());
    for (const instance of [a, b]) {
      if (instance?.child.exitCode === null) {
        instance.kill('SIGTERM');
        await instance.exit();
      }
    }
    await db.end();
    await sandbox.stop();
  });

  it('runs each migration exactly once when both start together', async () => {
    const { rows } = await db.query('SELECT name, count(*)::int AS runs FROM typeorm_migrations GROUP BY name');
    expect(rows).toHaveLength(MIGRATIONS.length);
    expect(rows.every((row) => row.runs === 1)).toBe(true);
    for (const instance of [a, b]) expect(instance.output).not.toMatch(/already exists|Start-up failed/);
  });

  it('serves what one instance wrote from the other', async () => {
    await configureMetaApp(a, sandbox, ADMIN);
    const org = await a.request('POST', '/api/admin/organizations', { token: ADMIN, body: { name: 'Shared' } });
    apiKey = org.body.apiKey;
    await connectPage(a, sandbox, apiKey, sandbox.addPage({ id: PAGE_ID, name: 'Shared Page' }));
    const status = await b.request('GET', '/api/meta/connection/status', { token: apiKey });
    expect(status.body).toMatchObject({ connected: true, pageId: PAGE_ID });
  });

  it('pushes an event ingested by instance A to a socket connected to instance B', async () => {
    const onB = await RecordingSocket.connect(b.baseUrl, apiKey);
    sockets.push(onB);
    sandbox.webhookTarget = `${a.baseUrl}/api/meta/webhook`;
    const mid = newMid('messenger');
    const answer = await sandbox.postWebhook(webhookOf('messenger', PAGE_ID, messageEvent('messenger', { account: PAGE_ID, user: 'psid-multi-1' }, { mid, text: 'hello from A' })));
    expect(answer.status).toBe(200);
    const created = await onB.waitFor('message.created', (m) => m.externalId === mid);
    expect(created.text).toBe('hello from A');
  });

  it("gives sockets on both instances an event far over Postgres' NOTIFY limit, multi-byte text intact", async () => {
    const [onA, onB] = await Promise.all([RecordingSocket.connect(a.baseUrl, apiKey), RecordingSocket.connect(b.baseUrl, apiKey)]);
    sockets.push(onA, onB);
    const mid = newMid('messenger');
    // Whichever instance applies it, the other's socket gets it through NOTIFY, in several parts.
    const text = 'Grüße 👋🏽 '.repeat(1500);
    const answer = await sandbox.postWebhook(webhookOf('messenger', PAGE_ID, messageEvent('messenger', { account: PAGE_ID, user: 'psid-multi-2' }, { mid, text })));
    expect(answer.status).toBe(200);
    const [onAText, onBText] = await Promise.all(
      [onA, onB].map(async (socket) => (await socket.waitFor('message.created', (m) => m.externalId === mid)).text),
    );
    expect(onAText).toBe(text);
    expect(onBText).toBe(text);
  });

  it('delivers each event to an integrator endpoint once while both instances claim due deliveries', async () => {
    const integrator = await FakeIntegrator.start();
    try {
      const endpoint = await a.request('POST', '/api/webhooks', { token: apiKey, body: { url: `${integrator.url}/ok-shared`, events: ['message.received'] } });
      expect(endpoint.status).toBe(201);
      const mids: string[] = [];
      for (let i = 0; i < 40; i++) {
        // Numbered by whichever instance relays first; claimed by whichever dispatcher looks first.
        sandbox.webhookTarget = `${(i % 2 === 0 ? a : b).baseUrl}/api/meta/webhook`;
        const mid = newMid('messenger');
        mids.push(mid);
        const answer = await sandbox.postWebhook(webhookOf('messenger', PAGE_ID, messageEvent('messenger', { account: PAGE_ID, user: `psid-hooks-${i % 8}` }, { mid, text: `hook ${i}` })));
        expect(answer.status).toBe(200);
      }
      const received = () => integrator.at('/ok-shared').map((r) => JSON.parse(r.body).data.object.externalId as string);
      await waitUntil(async () => (mids.every((mid) => received().includes(mid)) ? true : undefined), 20000, 'every event at the endpoint');
      const settled = async () => {
        const { rows } = await db.query(`SELECT status, attempts, claimed_until FROM webhook_deliveries WHERE endpoint_id = $1`, [endpoint.body.id]);
        return rows.length === 40 && rows.every((row) => row.status === 'succeeded') ? rows : undefined;
      };
      const rows = await waitUntil(settled, 10000, 'every delivery recorded');
      // Claimed once each: a delivery two instances attempted would count two attempts.
      expect(rows.every((row) => row.attempts === 1 && row.claimed_until === null)).toBe(true);
      for (const mid of mids) expect(received().filter((one) => one === mid)).toHaveLength(1);
    } finally {
      await integrator.close();
    }
  });

  it('never frees the jobs of an instance that lost only its liveness connection: the send goes out once', async () => {
    const created = await a.request('POST', '/api/conversations', { token: apiKey, body: { channel: 'facebook_messenger', participantExternalId: 'psid-liveness' } });
    expect([200, 201]).toContain(created.status);
    const text = 'sent while the liveness connection is lost';
    const callsToMeta = () => sandbox.requests.filter((r) => (r.body as any)?.message?.text === text).length;
    // Meta holds the send for 9 s: long enough for several sweeps while the instance running it has no liveness lock.
    sandbox.failNext(1, { delayMs: 9000, path: /\/me\/messages$/ });
    const sent = await a.request('POST', '/api/messaging/send', {
      token: apiKey,
      body: { channel: 'facebook_messenger', conversationId: created.body.id, text, messagingType: 'UPDATE' },
    });
    expect(sent.status).toBe(202);
    await waitUntil(async () => (callsToMeta() === 1 ? true : undefined), 10000, 'the send to reach Meta');
    // Locks are the server's, shared with the other test files' databases: only this one's count.
    const livenessLocks = () =>
      db.query(
        `SELECT pid FROM pg_locks
          WHERE locktype = 'advisory' AND classid = 726373 AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
    expect((await livenessLocks()).rows).toHaveLength(2);

    // Every liveness connection is terminated as soon as it is seen, until Meta has answered.
    const published = async () => (await db.query('SELECT status FROM messages WHERE id = $1', [sent.body.messages[0].id])).rows[0].status === 'published';
    while (!(await published())) {
      for (const { pid } of (await livenessLocks()).rows) await db.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(callsToMeta()).toBe(1);
    await waitUntil(async () => ((await livenessLocks()).rows.length === 2 ? true : undefined), 15000, 'both instances to hold their liveness locks again');
    for (const instance of [a, b]) expect(instance.output).not.toContain('freed the jobs of stopped instance');
    expect(callsToMeta()).toBe(1);
  });

  it('delivers broadcasts to an instance whose heartbeats were late', async () => {
    const onA = await RecordingSocket.connect(a.baseUrl, apiKey);
    const onB = await RecordingSocket.connect(b.baseUrl, apiKey);
    sockets.push(onA, onB);
    // Paused past the adapter's heartbeat timeout (10 s, checked every 5 s): A stops hearing from B.
    b.kill('SIGSTOP');
    try {
      await new Promise((resolve) => setTimeout(resolve, 16000));
      sandbox.webhookTarget = `${a.baseUrl}/api/meta/webhook`;
      const mid = newMid('messenger');
      const answer = await sandbox.postWebhook(webhookOf('messenger', PAGE_ID, messageEvent('messenger', { account: PAGE_ID, user: 'psid-late-heartbeat' }, { mid, text: 'while B was paused' })));
      expect(answer.status).toBe(200);
      await onA.waitFor('message.created', (m) => m.externalId === mid, 20000);
      b.kill('SIGCONT');
      expect((await onB.waitFor('message.created', (m) => m.externalId === mid, 10000)).text).toBe('while B was paused');
    } finally {
      b.kill('SIGCONT');
    }
  });

  it('shares sends between both instances, and loses none when one is killed', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `psid-multi-send-${i}`);
    for (const user of users) {
      const res = await a.request('POST', '/api/conversations', { token: apiKey, body: { channel: 'facebook_messenger', participantExternalId: user } });
      expect([200, 201]).toContain(res.status);
    }
    const { rows: conversations } = await db.query("SELECT id FROM conversations WHERE channel = 'facebook_messenger'");
    const accepted: string[] = [];
    // The sandbox notes a call's time when this process gets to it: as late as this process's event loop is.
    const sandboxLag = monitorEventLoopDelay({ resolution: 5 });
    sandboxLag.enable();
    for (let round = 0; round < 3; round++) {
      for (const [i, conversation] of conversations.entries()) {
        const via = i % 2 === 0 ? a : b;
        const res = await via.request('POST', '/api/messaging/send', {
          token: apiKey,
          body: { channel: 'facebook_messenger', conversationId: conversation.id, text: `shared-${round}-${i}`, messagingType: 'UPDATE' },
        });
        expect(res.status).toBe(202);
        accepted.push(res.body.messages[0].id);
      }
    }
    const published = async () => {
      const { rows } = await db.query("SELECT count(*)::int AS n FROM messages WHERE id = ANY($1) AND status = 'published'", [accepted]);
      return rows[0].n;
    };
    await waitUntil(async () => ((await published()) === accepted.length ? true : undefined), 30000, 'every send to publish');
    sandboxLag.disable();
    const ranSends = (instance: ServiceProcess) => (instance.output.match(/Completed task \d+ \(messaging\.send-messages/g) ?? []).length;
    expect(ranSends(a)).toBeGreaterThan(0);
    expect(ranSends(b)).toBeGreaterThan(0);
    // Both instances spent the one Page's budget: no sliding second carried more than its 10 calls
    // (a second of arrivals, less what this process's own stalls could have squeezed together).
    const secondMs = 1000 - sandboxLag.max / 1e6;
    const times = sandbox
      .sent()
      .filter((sent) => String(sent.body?.message?.text ?? '').startsWith('shared-'))
      .map((sent) => sent.at)
      .sort((x, y) => x - y);
    expect(times).toHaveLength(accepted.length);
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= secondMs) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(10);

    // Kill A while sends accepted by A wait in the queue: B sends every one of them.
    sandbox.failNext(6, { delayMs: 300, path: /\/me\/messages$/ });
    const late: string[] = [];
    for (const [i, conversation] of conversations.entries()) {
      const res = await a.request('POST', '/api/messaging/send', {
        token: apiKey,
        body: { channel: 'facebook_messenger', conversationId: conversation.id, text: `after-kill-${i}`, messagingType: 'UPDATE' },
      });
      late.push(res.body.messages[0].id);
    }
    a.kill('SIGKILL');
    await a.exit();
    await waitUntil(
      async () => {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM messages WHERE id = ANY($1) AND status = 'published'", [late]);
        return rows[0].n === late.length ? true : undefined;
      },
      30000,
      'instance B to send what instance A accepted',
    );
    // B's sweep (every 5 s) notices A is gone once its heartbeat is 10 s old; the sends above may all have gone out before it.
    await waitUntil(async () => (b.output.includes('freed the jobs of stopped instance') ? true : undefined), 30000, 'instance B to free the jobs of A');
  });
});
