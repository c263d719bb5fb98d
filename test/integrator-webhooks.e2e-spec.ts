import { Webhook } from 'standardwebhooks';
import type { QueryRunner } from 'typeorm';
import { WebhookDeliveriesClaimed1795700600000 } from '../src/database/migrations/1795700600000-WebhookDeliveriesClaimed';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, Parties, webhookOf } from '../src/sandbox/webhook-events';
import { WebhookDeliveriesService } from '../src/webhooks/webhook-deliveries.service';
import { MAX_OPEN_PER_ENDPOINT } from '../src/webhooks/webhook-dispatcher';
import { MAX_ATTEMPTS } from '../src/webhooks/retry-schedule';
import { eventually } from './support/eventually';
import { addFacebookIdentity, createContact, createConversation } from './support/factories';
import { FakeIntegrator, ReceivedWebhook } from './support/fake-integrator';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { metricSample } from './support/metrics';
import { ADMIN_TOKEN, TestApp } from './support/test-app';

describe('integrator webhooks', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let integrator: FakeIntegrator;
  let org: { id: string; apiKey: string };
  const PAGE = '502000000000001';
  let users = 0;
  const person = (): Parties => ({ account: PAGE, user: `psid-hooks-${++users}` });

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }));
    integrator = await FakeIntegrator.start();
    sandbox.addPage({ id: PAGE, name: 'Hooks Page' });
    org = await t.createOrganization('Hooks Org');
    await connectPage(t, sandbox, org.apiKey, { id: PAGE });
  });
  afterAll(async () => {
    await integrator?.close();
    await t?.close();
    await sandbox?.stop();
  });

  const register = async (path: string, events: string[] = ['*'], apiKey = org.apiKey) => {
    const res = await t.request('POST', '/api/webhooks', { token: apiKey, body: { url: `${integrator.url}${path}`, events, description: path } });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  };
  const inbound = async (text: string, p = person()) => {
    const mid = newMid('messenger');
    expect((await sandbox.postWebhook(webhookOf('messenger', PAGE, messageEvent('messenger', p, { mid, text })))).status).toBe(200);
    return mid;
  };
  const receivedFor = (path: string, mid: string) =>
    eventually(
      async () => integrator.at(path).filter((r) => JSON.parse(r.body).data.object.externalId === mid),
      (list) => list.length > 0,
      15000,
    );
  const deliveries = async (endpointId: string) => (await t.request('GET', `/api/webhooks/${endpointId}/deliveries?limit=100`, { token: org.apiKey })).body.data;
  const deliveryWhen = (endpointId: string, done: (d: any) => boolean, timeoutMs = 15000) =>
    eventually(async () => (await deliveries(endpointId)).find(done), (d) => d !== undefined, timeoutMs);
  const verify = (secret: string, hook: ReceivedWebhook) => new Webhook(secret).verify(hook.body, hook.headers);

  describe('endpoints', () => {
    it('shows the secret once, stores it encrypted, and manages the endpoint', async () => {
      const created = await t.request('POST', '/api/webhooks', {
        token: org.apiKey,
        body: { url: `${integrator.url}/ok-crud`, events: ['message.received', 'message.sent'], description: 'CRM' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        url: `${integrator.url}/ok-crud`,
        events: ['message.received', 'message.sent'],
        description: 'CRM',
        enabled: true,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
        createdAt: expect.any(String),
      });
      const { id, secret } = created.body;
      const { rows } = await t.db.query('SELECT secret FROM webhook_endpoints WHERE id = $1', [id]);
      expect(rows[0].secret).not.toContain(secret.slice(6));

      const one = await t.request('GET', `/api/webhooks/${id}`, { token: org.apiKey });
      expect(one.body).not.toHaveProperty('secret');
      const list = await t.request('GET', '/api/webhooks', { token: org.apiKey });
      expect(list.body.data.find((e: any) => e.id === id)).toEqual(one.body);
      expect(JSON.stringify(list.body)).not.toContain(secret);

      const patched = await t.request('PATCH', `/api/webhooks/${id}`, { token: org.apiKey, body: { events: ['*'], enabled: false, description: 'All' } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ events: ['*'], enabled: false, description: 'All' });

      const other = await t.createOrganization('Other Hooks Org');
      expect((await t.request('GET', `/api/webhooks/${id}`, { token: other.apiKey })).status).toBe(404);
      expect((await t.request('PATCH', `/api/webhooks/${id}`, { token: other.apiKey, body: { enabled: true } })).status).toBe(404);
      expect((await t.request('DELETE', `/api/webhooks/${id}`, { token: other.apiKey })).status).toBe(404);
      expect((await t.request('GET', `/api/webhooks/${id}/deliveries`, { token: other.apiKey })).status).toBe(404);
      expect((await t.request('GET', '/api/webhooks', { token: other.apiKey })).body).toEqual({ data: [] });

      expect((await t.request('DELETE', `/api/webhooks/${id}`, { token: org.apiKey })).status).toBe(204);
      expect((await t.request('GET', `/api/webhooks/${id}`, { token: org.apiKey })).status).toBe(404);
      expect((await t.request('GET', '/api/webhooks')).status).toBe(401);
    });

    it.each([
      ['an unknown event type', { url: 'https://example.com/h', events: ['message.exploded'] }],
      ['no events', { url: 'https://example.com/h', events: [] }],
      ['a non-http URL', { url: 'ftp://example.com/h', events: ['*'] }],
      ['no URL', { events: ['*'] }],
    ])('refuses %s with 400', async (_, body) => {
      const res = await t.request('POST', '/api/webhooks', { token: org.apiKey, body });
      expect(res.status).toBe(400);
    });
  });

  it('delivers an event signed per Standard Webhooks, in the envelope of the log, and logs the delivery', async () => {
    const endpoint = await register('/ok-signed', ['message.received']);
    const mid = await inbound('Sign me');
    const [hook] = await receivedFor('/ok-signed', mid);
    expect(hook.headers['content-type']).toBe('application/json');
    expect(verify(endpoint.secret, hook)).toMatchObject({ type: 'message.received' });
    expect(() => verify(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, hook)).toThrow();

    const envelope = JSON.parse(hook.body);
    expect(hook.headers['webhook-id']).toBe(envelope.id);
    expect(Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    const log = (await t.request('GET', `/api/events?after=${envelope.sequence - 1}&limit=1`, { token: org.apiKey })).body.data[0];
    expect(envelope).toEqual(log);
    expect(envelope.data.object).toMatchObject({ externalId: mid, text: 'Sign me', conversationId: expect.any(String) });

    const delivery = await deliveryWhen(endpoint.id, (d) => d.eventId === envelope.id && d.status === 'succeeded');
    expect(delivery).toEqual({
      id: expect.any(String),
      eventId: envelope.id,
      eventType: 'message.received',
      attempts: 1,
      status: 'succeeded',
      responseStatus: 200,
      error: null,
      lastAttemptAt: expect.any(String),
      nextAttemptAt: null,
    });
    // Only the types asked for: the conversation's other events never reach this endpoint.
    expect(integrator.at('/ok-signed').every((r) => JSON.parse(r.body).type === 'message.received')).toBe(true);
  });

  it('retries a failed attempt after a growing delay with the same webhook-id, and retries by hand at once', async () => {
    const endpoint = await register('/ok-flaky', ['message.received']);
    integrator.failFirst('/ok-flaky', 1);
    const mid = await inbound('Try again');
    const failed = await deliveryWhen(endpoint.id, (d) => d.attempts === 1 && d.status === 'pending');
    expect(failed).toMatchObject({ responseStatus: 500, error: 'HTTP 500' });
    const delay = Date.parse(failed.nextAttemptAt) - Date.parse(failed.lastAttemptAt);
    expect(delay).toBeGreaterThanOrEqual(4900);
    expect(delay).toBeLessThan(6000);
    const done = await deliveryWhen(endpoint.id, (d) => d.id === failed.id && d.status === 'succeeded', 20000);
    expect(done).toMatchObject({ attempts: 2, responseStatus: 200, error: null, nextAttemptAt: null });
    const hooks = await receivedFor('/ok-flaky', mid);
    expect(hooks).toHaveLength(2);
    expect(hooks[0].headers['webhook-id']).toBe(hooks[1].headers['webhook-id']);
    expect(hooks[1].at - hooks[0].at).toBeGreaterThanOrEqual(4500);

    // By hand: a delivery waiting for its next attempt is sent now.
    integrator.failFirst('/ok-flaky', 1);
    const mid2 = await inbound('By hand');
    const waiting = await deliveryWhen(endpoint.id, (d) => d.attempts === 1 && d.status === 'pending' && d.id !== failed.id);
    const retried = await t.request('POST', `/api/webhooks/${endpoint.id}/deliveries/${waiting.id}/retry`, { token: org.apiKey });
    expect(retried.status).toBe(202);
    await deliveryWhen(endpoint.id, (d) => d.id === waiting.id && d.status === 'succeeded', 4000);
    expect(await receivedFor('/ok-flaky', mid2)).toHaveLength(2);
    expect((await t.request('POST', `/api/webhooks/${endpoint.id}/deliveries/${endpoint.id}/retry`, { token: org.apiKey })).status).toBe(404);
  });

  it('attempts again a delivery whose claim ran out (its instance died mid-attempt), and not before', async () => {
    const endpoint = await register('/ok-lease', ['message.received']);
    const mid = await inbound('Claimed by the dead');
    const delivered = await deliveryWhen(endpoint.id, (d) => d.status === 'succeeded');
    // As an instance leaves it when it dies after its POST and before recording the outcome.
    const { rows } = await t.db.query(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), claimed_until = now() + interval '2 seconds' WHERE id = $1 RETURNING claimed_until`,
      [delivered.id],
    );
    const claimRunsOut = (rows[0].claimed_until as Date).getTime();
    const [, again] = await eventually(
      async () => integrator.at('/ok-lease').filter((r) => JSON.parse(r.body).data.object.externalId === mid),
      (list) => list.length === 2,
      15000,
    );
    expect(again.at).toBeGreaterThanOrEqual(claimRunsOut - 50);
    expect(await deliveryWhen(endpoint.id, (d) => d.id === delivered.id && d.status === 'succeeded' && d.attempts === 2)).toMatchObject({ error: null });
    const { rows: claims } = await t.db.query('SELECT claimed_until, manual FROM webhook_deliveries WHERE id = $1', [delivered.id]);
    expect(claims[0]).toEqual({ claimed_until: null, manual: false });
  });

  it('upgrades from delivery jobs: a retry asked for by hand stays due and manual, the jobs go', async () => {
    const endpoint = await register('/ok-upgrade', ['message.received']);
    await Promise.all([inbound('upgrade one'), inbound('upgrade two')]);
    const [asked, waiting] = await eventually(
      async () => (await deliveries(endpoint.id)).filter((d: { status: string }) => d.status === 'succeeded'),
      (list) => list.length === 2,
    );
    const client = await t.db.connect();
    try {
      await client.query('BEGIN');
      const runner = { query: (sql: string) => client.query(sql) } as unknown as QueryRunner;
      // The schema before the migration, with what an earlier version left: a retry by hand and a scheduled retry, as jobs.
      await new WebhookDeliveriesClaimed1795700600000().down(runner);
      await client.query(`UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = $1`, [asked.id]);
      await client.query(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() + interval '1 hour' WHERE id = $1`, [waiting.id]);
      await client.query(`SELECT graphile_worker.add_job('webhooks.deliver', json_build_object('deliveryId', $1::text, 'manual', true), job_key => 'webhook-delivery:' || $1)`, [
        asked.id,
      ]);
      await client.query(
        `SELECT graphile_worker.add_job('webhooks.deliver', json_build_object('deliveryId', $1::text), job_key => 'webhook-delivery:' || $1, run_at => now() + interval '1 hour')`,
        [waiting.id],
      );
      await new WebhookDeliveriesClaimed1795700600000().up(runner);
      const { rows } = await client.query(`SELECT id, status, manual, next_attempt_at <= now() AS due FROM webhook_deliveries WHERE id = ANY($1)`, [[asked.id, waiting.id]]);
      expect(rows.find((row) => row.id === asked.id)).toMatchObject({ status: 'pending', manual: true, due: true });
      expect(rows.find((row) => row.id === waiting.id)).toMatchObject({ status: 'pending', manual: false, due: false });
      expect((await client.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'webhooks.deliver'`)).rows[0].n).toBe(0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('fails a delivery once the schedule is spent, and disables an endpoint failing for 5 days', async () => {
    const endpoint = await register('/fail-always', ['message.received']);
    await inbound('Nobody listens');
    const first = await deliveryWhen(endpoint.id, (d) => d.attempts === 1);
    // As if every earlier attempt of the schedule had failed already.
    await t.db.query('UPDATE webhook_deliveries SET attempts = $2 WHERE id = $1', [first.id, MAX_ATTEMPTS - 1]);
    await t.request('POST', `/api/webhooks/${endpoint.id}/deliveries/${first.id}/retry`, { token: org.apiKey });
    const spent = await deliveryWhen(endpoint.id, (d) => d.id === first.id && d.status === 'failed');
    expect(spent).toMatchObject({ attempts: MAX_ATTEMPTS, responseStatus: 500, nextAttemptAt: null });

    // Failing since a little over 5 days: the next failed attempt disables it.
    await t.db.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '5 days 1 minute' WHERE id = $1`, [endpoint.id]);
    await t.request('POST', `/api/webhooks/${endpoint.id}/deliveries/${first.id}/retry`, { token: org.apiKey });
    await eventually(
      async () => (await t.request('GET', `/api/webhooks/${endpoint.id}`, { token: org.apiKey })).body.enabled,
      (enabled) => enabled === false,
    );
    const before = (await deliveries(endpoint.id)).length;
    const mid = await inbound('After disabling');
    await receivedForAnyEndpoint(mid);
    expect((await deliveries(endpoint.id)).length).toBe(before);
  });

  it('records attempts that end together in one statement: any 2xx among them means the endpoint works, only failures disable it', async () => {
    const endpoint = await register('/settled-together', ['message.received']);
    await Promise.all([inbound('together one'), inbound('together two')]);
    const done = await eventually(
      async () => (await deliveries(endpoint.id)).filter((d: { status: string }) => d.status === 'succeeded'),
      (list) => list.length === 2,
    );
    const service = t.app.get(WebhookDeliveriesService);
    // The statement an attempt's outcome is recorded with, as attempts that end at the same moment share it.
    const settle = (outcomes: { ok: boolean }[]) =>
      (service as unknown as { settleAll: (s: unknown[]) => Promise<void> }).settleAll(
        outcomes.map(({ ok }, i) => ({
          delivery: { delivery_id: done[i].id, endpoint_id: endpoint.id, attempts: 1 },
          outcome: ok ? { ok: true, responseStatus: 200, error: null } : { ok: false, responseStatus: 500, error: 'HTTP 500' },
          at: new Date(),
          next: ok ? null : new Date(Date.now() + 5000),
        })),
      );
    const endpointRow = async () => (await t.db.query('SELECT enabled, failing_since FROM webhook_endpoints WHERE id = $1', [endpoint.id])).rows[0];
    // A retry is its row's next attempt time, unclaimed.
    const retriesScheduled = async () =>
      Number(
        (
          await t.db.query(`SELECT count(*) FROM webhook_deliveries WHERE id = ANY($1) AND status = 'pending' AND next_attempt_at > now() AND claimed_until IS NULL`, [
            done.map((d: { id: string }) => d.id),
          ])
        ).rows[0].count,
      );

    await t.db.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1`, [endpoint.id]);
    await settle([{ ok: false }, { ok: true }]);
    expect(await endpointRow()).toEqual({ enabled: true, failing_since: null });
    expect((await deliveries(endpoint.id)).map((d: { status: string; attempts: number }) => [d.status, d.attempts]).sort()).toEqual([
      ['pending', 2],
      ['succeeded', 2],
    ]);
    expect(await retriesScheduled()).toBe(1);

    await t.db.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1`, [endpoint.id]);
    await settle([{ ok: false }, { ok: false }]);
    expect((await endpointRow()).enabled).toBe(false);
    expect(await retriesScheduled()).toBe(2);
  });

  it('counts delivery attempts by outcome at /metrics: succeeded, retrying, failed', async () => {
    const counts = async () => {
      const text = (await t.request('GET', '/metrics', { token: ADMIN_TOKEN })).body as string;
      const count = (outcome: string) => metricSample(text, `meta_inbox_integrator_deliveries_total{outcome="${outcome}"}`) ?? 0;
      return { succeeded: count('succeeded'), retrying: count('retrying'), failed: count('failed') };
    };
    const before = await counts();
    const flaky = await register('/ok-metrics', ['message.received']);
    integrator.failFirst('/ok-metrics', 1);
    await inbound('Counted');
    await deliveryWhen(flaky.id, (d) => d.status === 'succeeded', 20000);
    await t.request('DELETE', `/api/webhooks/${flaky.id}`, { token: org.apiKey });
    const failing = await register('/fail-metrics', ['message.received']);
    await inbound('Counted as failed');
    const first = await deliveryWhen(failing.id, (d) => d.attempts === 1);
    await t.db.query('UPDATE webhook_deliveries SET attempts = $2 WHERE id = $1', [first.id, MAX_ATTEMPTS - 1]);
    await t.request('POST', `/api/webhooks/${failing.id}/deliveries/${first.id}/retry`, { token: org.apiKey });
    await deliveryWhen(failing.id, (d) => d.id === first.id && d.status === 'failed');
    const after = await counts();
    // At least: endpoints registered by earlier tests of this organization get these events too.
    expect(after.succeeded - before.succeeded).toBeGreaterThanOrEqual(1);
    expect(after.retrying - before.retrying).toBeGreaterThanOrEqual(2);
    expect(after.failed - before.failed).toBeGreaterThanOrEqual(1);
  });

  it('shows the delivery backlog at /metrics: deliveries not yet done, and how long the one due longest has waited', async () => {
    const gauge = async (name: string) => {
      const text = (await t.request('GET', '/metrics', { token: ADMIN_TOKEN })).body as string;
      return metricSample(text, name);
    };
    const endpoint = await register('/fail-backlog', ['message.received']);
    await inbound('Waiting in the backlog');
    const failed = await deliveryWhen(endpoint.id, (d) => d.attempts === 1 && d.status === 'pending');
    expect(await gauge('meta_inbox_integrator_deliveries_pending')).toBeGreaterThanOrEqual(1);
    // Due for two minutes, and held (as a busy claim would hold it) so no dispatcher takes it meanwhile.
    const client = await t.db.connect();
    try {
      // A dispatcher may claim it between the update and the lock: then it is made due again.
      for (let held = false; !held; ) {
        await client.query(`UPDATE webhook_deliveries SET next_attempt_at = now() - interval '120 seconds', claimed_until = NULL WHERE id = $1`, [failed.id]);
        await client.query('BEGIN');
        const { rows } = await client.query('SELECT claimed_until IS NULL AS unclaimed FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [failed.id]);
        held = rows[0].unclaimed;
        if (!held) await client.query('ROLLBACK');
      }
      expect(await gauge('meta_inbox_integrator_deliveries_due_age_seconds')).toBeGreaterThanOrEqual(120);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    await t.request('DELETE', `/api/webhooks/${endpoint.id}`, { token: org.apiKey });
  });

  async function receivedForAnyEndpoint(mid: string) {
    const probe = await register(`/ok-probe-${mid.slice(-6)}`, ['message.received']);
    await receivedFor(`/ok-probe-${mid.slice(-6)}`, mid).catch(() => undefined);
    await t.request('DELETE', `/api/webhooks/${probe.id}`, { token: org.apiKey });
  }

  it('signs with the old secret too for 24 hours after a rotation', async () => {
    const endpoint = await register('/ok-rotate', ['message.received']);
    const rotated = await t.request('POST', `/api/webhooks/${endpoint.id}/rotate-secret`, { token: org.apiKey });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const [hook] = await receivedFor('/ok-rotate', await inbound('Rotated'));
    expect(hook.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(rotated.body.secret, hook)).toBeTruthy();
    expect(verify(endpoint.secret, hook)).toBeTruthy();

    await t.db.query(`UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [endpoint.id]);
    const [later] = await receivedFor('/ok-rotate', await inbound('Rotated later'));
    expect(later.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verify(rotated.body.secret, later)).toBeTruthy();
    expect(() => verify(endpoint.secret, later)).toThrow();
  });

  it('delivers to the sandbox as an integrator endpoint, with the raw body to verify', async () => {
    const endpoint = await register('/unused', ['message.received']);
    await t.request('PATCH', `/api/webhooks/${endpoint.id}`, { token: org.apiKey, body: { url: `${sandbox.url}/_sandbox/integrator-webhooks` } });
    const mid = await inbound('To the sandbox');
    const hook = await eventually(
      async () => sandbox.state.integratorWebhooks.find((h) => (h.body as any).data.object.externalId === mid),
      (h) => h !== undefined,
      15000,
    );
    expect(hook!.duplicate).toBe(false);
    expect(new Webhook(endpoint.secret).verify(hook!.rawBody, { 'webhook-id': hook!.id, 'webhook-timestamp': hook!.timestamp, 'webhook-signature': hook!.signature })).toMatchObject({
      type: 'message.received',
    });
  });

  it('follows no redirect and reads no more than a capped answer', async () => {
    const redirect = await register('/redirect', ['message.received']);
    const big = await register('/big', ['message.received']);
    const mid = await inbound('Where to?');
    const refused = await deliveryWhen(redirect.id, (d) => d.attempts === 1);
    expect(refused).toMatchObject({ status: 'pending', responseStatus: 302, error: 'redirect (HTTP 302) not followed' });
    expect(integrator.at('/ok-redirected')).toHaveLength(0);
    await deliveryWhen(big.id, (d) => d.status === 'succeeded');
    expect(await receivedFor('/big', mid)).toHaveLength(1);
  });

  it("delivers a burst queued in an endpoint's lanes once each, and retries one whose attempt broke without holding up the rest", async () => {
    const endpoint = await register('/ok-burst', ['message.received']);
    // A database fault that breaks recording the outcome of one delivery until it is lifted.
    await t.db.query(`CREATE FUNCTION test_break_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'succeeded' AND EXISTS (SELECT 1 FROM domain_events e WHERE e.id = NEW.event_id AND e.data->'object'->>'text' = 'break me') THEN
          RAISE EXCEPTION 'injected delivery fault';
        END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(`CREATE TRIGGER test_break_delivery BEFORE UPDATE ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION test_break_delivery()`);
    let broken: string;
    let mids: string[];
    try {
      mids = await Promise.all(Array.from({ length: 40 }, (_, i) => inbound(`burst ${i}`)));
      broken = await inbound('break me');
      for (const mid of mids) await receivedFor('/ok-burst', mid);
      // Its POST went out, its outcome could not be recorded, and its claim was released to go again soon (not held for the whole lease).
      await eventually(
        async () =>
          (
            await t.db.query(
              `SELECT d.attempts, d.claimed_until > now() AND d.claimed_until <= now() + interval '6 seconds' AS released
               FROM webhook_deliveries d JOIN domain_events e ON e.id = d.event_id
               WHERE d.endpoint_id = $1 AND e.data->'object'->>'text' = 'break me'`,
              [endpoint.id],
            )
          ).rows[0],
        (row) => row?.attempts === 0 && row.released === true && integrator.at('/ok-burst').some((r) => JSON.parse(r.body).data.object.externalId === broken),
        15000,
      );
    } finally {
      await t.db.query(`DROP TRIGGER test_break_delivery ON webhook_deliveries; DROP FUNCTION test_break_delivery()`);
    }
    // Each of the burst once, each delivery done in one attempt.
    for (const mid of mids) expect(integrator.at('/ok-burst').filter((r) => JSON.parse(r.body).data.object.externalId === mid)).toHaveLength(1);
    const done = await eventually(
      async () => (await deliveries(endpoint.id)).filter((d: { status: string }) => d.status === 'succeeded'),
      (list) => list.length === mids.length + 1,
      20000,
    );
    expect(done.every((d: { attempts: number }) => d.attempts === 1)).toBe(true);
    // The broken one was attempted again after its backoff (at least once: the first POST had gone out).
    expect((await receivedFor('/ok-burst', broken)).length).toBeGreaterThanOrEqual(1);
  }, 40000);

  it('lets a hanging endpoint delay only its own deliveries: never another endpoint, inbound processing or sends', async () => {
    const hanging = await register('/hang', ['*']);
    await register('/ok-beside-hang', ['*']);
    const contactId = await createContact(t.db, org.id, { displayName: 'Sender' });
    await addFacebookIdentity(t.db, contactId, PAGE, 'psid-hooks-send');
    await createConversation(t.db, contactId, { lastInboundAt: new Date(Date.now() - 60_000) });

    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => inbound(`busy ${i}`)));
    // The hanging endpoint holds its first deliveries open (until they time out, 10 s after they left)...
    await eventually(async () => integrator.openHangingRequests, (open) => open > 0);
    // ...while more events come in and a send goes out.
    const mids = [...first, ...(await Promise.all(Array.from({ length: 10 }, (_, i) => inbound(`while hanging ${i}`))))];
    const sent = await t.request('POST', '/api/messaging/send?wait=true', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId, text: 'still sending' } });
    expect(sent.status).toBe(200);
    expect(sent.body.messages[0].status).toBe('published');
    for (const mid of mids) await receivedFor('/ok-beside-hang', mid);
    const stored = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE external_id = ANY($1)', [mids]);
    expect(stored.rows[0].n).toBe(mids.length);
    // Everything above happened while the hanging endpoint held its deliveries open.
    expect(integrator.openHangingRequests).toBeGreaterThan(0);
    expect(integrator.openHangingRequests).toBeLessThanOrEqual(MAX_OPEN_PER_ENDPOINT);

    const timedOut = await deliveryWhen(hanging.id, (d) => d.attempts === 1, 20000);
    expect(timedOut).toMatchObject({ status: 'pending', responseStatus: null, error: 'no answer within 10 s' });
  }, 40000);
});

describe('integrator webhooks without WEBHOOKS_ALLOW_PRIVATE_NETWORKS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t?.close());

  it.each(['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://10.1.2.3/hook', 'http://192.168.1.10/hook', 'http://169.254.169.254/latest', 'http://[::1]/hook', 'http://[fe80::1]/hook'])(
    'refuses %s with 422',
    async (url) => {
      const org = await t.createOrganization(`SSRF ${url}`);
      const res = await t.request('POST', '/api/webhooks', { token: org.apiKey, body: { url, events: ['*'] } });
      expect(res.status).toBe(422);
      expect(res.body.message).toContain('WEBHOOKS_ALLOW_PRIVATE_NETWORKS');
      const created = await t.request('POST', '/api/webhooks', { token: org.apiKey, body: { url: 'https://93.184.215.14/hook', events: ['*'] } });
      expect(created.status).toBe(201);
      const patched = await t.request('PATCH', `/api/webhooks/${created.body.id}`, { token: org.apiKey, body: { url } });
      expect(patched.status).toBe(422);
    },
  );
});
