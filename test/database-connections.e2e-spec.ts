import { randomUUID } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { DataSource } from 'typeorm';
import { DATABASE_UNAVAILABLE } from '../src/common/domain-error.filter';
import { dataSourceOptions } from '../src/database/data-source-options';
import { isDatabaseUnavailable } from '../src/database/pool-errors';
import { TestApp } from './support/test-app';

describe('database connections', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t?.close());

  it('never hands a statement the connection the server just ended under another one (it is dropped, not reused)', async () => {
    const dataSource = t.app.get(DataSource);
    for (let round = 0; round < 5; round++) {
      // A statement in flight whose session an administrator ends (as a failover or a restart would).
      const victim = dataSource.query(`SELECT pg_sleep(30), 'ended-session-victim'`);
      const running = async () =>
        (await t.db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%ended-session-victim%' AND pid <> pg_backend_pid()`)).rows[0]?.pid as number | undefined;
      let pid: number | undefined;
      while (!(pid = await running())) await new Promise((resolve) => setTimeout(resolve, 10));
      await t.db.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect(victim).rejects.toThrow('terminating connection due to administrator command');
      // At once, before the closed socket is noticed: the pool's most recently returned client is that one.
      await expect(dataSource.query(`SELECT 1 AS one`)).resolves.toEqual([{ one: 1 }]);
    }
  });

  it('answers a request whose statement the server ended 503 with Retry-After, not 500, and serves the next one', async () => {
    const { apiKey } = await t.createOrganization('Failover');
    const contact = `/api/contacts/${randomUUID()}`;
    const locker = await t.db.connect();
    try {
      // The request's statement waits behind this lock until its session is ended, as a failover would end it.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE');
      const answer = t.request('GET', contact, { token: apiKey });
      const waiting = async () =>
        (await t.db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%contacts%' AND pid <> pg_backend_pid()`)).rows[0]?.pid as number | undefined;
      let pid: number | undefined;
      while (!(pid = await waiting())) await new Promise((resolve) => setTimeout(resolve, 10));
      await t.db.query('SELECT pg_terminate_backend($1)', [pid]);
      const refused = await answer;
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: DATABASE_UNAVAILABLE });
      expect(refused.headers.get('retry-after')).toBe('1');
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect((await t.request('GET', contact, { token: apiKey })).status).toBe(404);
  });

  it('gives up on a database that takes the connection but never answers, as the database being away', async () => {
    // A server hung or behind a partition: the TCP connection is made, the startup is never answered.
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const failed = await new DataSource(dataSourceOptions(`postgres://postgres:x@127.0.0.1:${port}/postgres`, 2, 300)).initialize().catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(failed)).toBe(true);
      // Bounded by the connect timeout, not by the system's TCP timeouts (minutes).
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(held.length).toBeGreaterThan(0);
    } finally {
      held.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

