import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DomainEvents } from '../src/events/domain-events.service';
import { RealtimeBus } from '../src/realtime/realtime-bus.service';
import { RealtimeGateway } from '../src/realtime/realtime.gateway';
import { eventually } from './support/eventually';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

describe('realtime handshake and rooms', () => {
  let t: TestApp;
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t.close();
  });

  it("splits a batch told to the other instances into NOTIFY parts under Postgres' 8000-byte limit, whatever the text, joining back to the same events", async () => {
    const texts = ['Grüße 👋🏽 '.repeat(2000), '👋'.repeat(5000), '"\\'.repeat(6000), '\u0001\n'.repeat(3000), '語'.repeat(9000), 'x'.repeat(1800), 'short'];
    const small = (n: number) => ({ organizationId: 'org', event: 'message.updated', payload: { n }, source: { id: 'e', sequence: n, type: 'message.sent' } });
    const batches = texts.flatMap((text) => {
      const big = { organizationId: 'org', event: 'message.created', payload: { text }, source: { id: null, sequence: 0, type: null } };
      // The long event alone, last, and between others: its parts open, continue and close the batch's array.
      return [[big], [small(1), big], [small(1), big, small(2)]];
    });
    for (const emissions of batches) {
      const text = (emissions.find((e) => e.event === 'message.created')!.payload as { text: string }).text;
      // The parts the relay's statement would send, read instead of sent.
      const { rows } = await t.db.query(
        `WITH emissions AS (SELECT e.value AS emission, e.k FROM json_array_elements($1::json) WITH ORDINALITY AS e(value, k)),
         ${t.app.get(RealtimeBus).tellingSql('emissions')}
         SELECT payload FROM told_parts ORDER BY i`,
        [JSON.stringify(emissions)],
      );
      // An event a part; a long one in several.
      expect(rows.length).toBeGreaterThanOrEqual(emissions.length + (text.length > 1900 ? 1 : 0));
      for (const { payload } of rows) expect(Buffer.byteLength(payload, 'utf8')).toBeLessThan(8000);
      const parts = rows.map(({ payload }) => JSON.parse(payload) as { batch: string; i: number; n: number; data: string });
      expect(parts.map((part) => part.i)).toEqual(parts.map((_, i) => i));
      expect(new Set(parts.map((part) => `${part.batch}/${part.n}`))).toEqual(new Set([`${parts[0].batch}/${parts.length}`]));
      expect(JSON.parse(parts.map((part) => part.data).join(''))).toEqual(emissions);
    }
  });

  it('tells the other instances of a batch only while another instance listens', async () => {
    const org = await t.createOrganization('Told');
    const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
    sockets.push(socket);
    const listen = async (applicationName: string) => {
      const client = new Client({ connectionString: t.config.databaseUrl, application_name: applicationName });
      const heard: string[] = [];
      client.on('notification', (message) => heard.push(message.payload ?? ''));
      await client.connect();
      await client.query('LISTEN meta_inbox_realtime');
      return { client, heard };
    };
    const relayed = async (pageName: string) => {
      const status = { connected: false, status: null, pageId: null, pageName, instagramAccountId: null, instagramUsername: null };
      await t.app.get(DataSource).transaction((manager) =>
        t.app.get(DomainEvents).record(manager, org.id, [{ type: 'connection.updated', object: status, realtime: [{ event: 'connection.updated' }] }]),
      );
      await socket.waitFor('connection.updated', (c) => c.pageName === pageName);
    };
    // Hears every NOTIFY on the channel without being an instance itself.
    const observer = await listen('meta-inbox-test-observer');
    let other: Awaited<ReturnType<typeof listen>> | undefined;
    try {
      await relayed('alone');
      await new Promise((r) => setTimeout(r, 200));
      expect(observer.heard).toEqual([]);

      other = await listen('meta-inbox-realtime:another-instance');
      await relayed('with another');
      const heard = await eventually(
        async () => other!.heard,
        (payloads) => payloads.some((payload) => payload.includes('with another')),
      );
      const part = JSON.parse(heard[0]);
      expect(part).toMatchObject({ n: 1, i: 0 });
      expect(JSON.parse(part.data)).toEqual([expect.objectContaining({ organizationId: org.id, event: 'connection.updated', payload: expect.objectContaining({ pageName: 'with another' }) })]);
      // Every listener hears the same parts, each on its own connection and in its own time.
      expect(await eventually(async () => [...observer.heard], (payloads) => payloads.length >= heard.length)).toEqual(heard);
    } finally {
      await observer.client.end();
      await other?.client.end();
    }
  });

  it('makes its sockets resume from the log once its own listener is back after a loss (batches told meanwhile went unheard)', async () => {
    const org = await t.createOrganization('Unheard');
    const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
    sockets.push(socket);
    const closed = new Promise<string>((resolve) => {
      socket.socket.once('disconnect', (reason) => resolve(reason));
      setTimeout(() => resolve('still open after 10 s'), 10_000).unref();
    });
    const { rowCount } = await t.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'meta-inbox-realtime:%'`,
    );
    expect(rowCount).toBe(1);
    // Closed as a lost connection (the client reconnects and resumes), not as a refusal.
    expect(await closed).toBe('transport close');
    const listening = await eventually(
      async () => (await t.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'meta-inbox-realtime:%'`)).rows[0].n,
      (n) => n === 1,
    );
    expect(listening).toBe(1);
  });

  it.each([
    ['without a token', undefined],
    ['with a wrong token', 'mi_live_not-a-key'],
  ])('refuses a socket %s', async (_, token) => {
    await expect(RecordingSocket.connect(t.baseUrl, token)).rejects.toThrow('unauthorized');
  });

  it("delivers an organization's events to its sockets only, naming the log event each comes from", async () => {
    const acme = await t.createOrganization('Acme');
    const other = await t.createOrganization('Other');
    const mine = await RecordingSocket.connect(t.baseUrl, acme.apiKey);
    const theirs = await RecordingSocket.connect(t.baseUrl, other.apiKey);
    sockets.push(mine, theirs);
    const status = { connected: false, status: null, pageId: null, pageName: null, instagramAccountId: null, instagramUsername: null };
    await t.app.get(DataSource).transaction((manager) =>
      t.app.get(DomainEvents).record(manager, acme.id, [{ type: 'connection.updated', object: status, realtime: [{ event: 'connection.updated' }] }]),
    );
    await expect(mine.waitFor('connection.updated')).resolves.toEqual(status);
    const [event] = mine.events;
    expect(event.source).toEqual({ id: expect.any(String), sequence: 1, type: 'connection.updated' });
    await new Promise((r) => setTimeout(r, 200));
    expect(theirs.events).toHaveLength(0);
  });

  it('delivers a burst of events to a socket whole and in order, each flush written to it in one go', async () => {
    const org = await t.createOrganization('Burst');
    const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
    sockets.push(socket);
    // The service's end of that socket sends through the WebSocket transport with its TCP socket corked per flush.
    const gateway = t.app.get(RealtimeGateway);
    type EngineClient = { transport: { name: string; send: unknown; constructor: { prototype: { send: unknown } } } };
    const clients = Object.values((gateway.server.engine as unknown as { clients: Record<string, EngineClient> }).clients);
    const websockets = clients.filter((client) => client.transport.name === 'websocket');
    expect(websockets.length).toBeGreaterThan(0);
    for (const client of websockets) expect(client.transport.send).not.toBe(client.transport.constructor.prototype.send);

    const statuses = Array.from({ length: 50 }, (_, i) => ({ connected: false, status: null, pageId: `page-${i}`, pageName: 'x'.repeat(i * 100), instagramAccountId: null, instagramUsername: null }));
    await t.app.get(DataSource).transaction((manager) =>
      t.app.get(DomainEvents).record(
        manager,
        org.id,
        statuses.map((status) => ({ type: 'connection.updated' as const, object: status, realtime: [{ event: 'connection.updated' as const }] })),
      ),
    );
    await expect(socket.waitFor('connection.updated', (status) => status.pageId === 'page-49')).resolves.toEqual(statuses[49]);
    expect(socket.events.map((event) => event.payload)).toEqual(statuses);
  });
});
