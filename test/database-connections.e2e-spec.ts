import { DataSource } from 'typeorm';
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
        (await t.db.query(`SELECT pid FROM pg_stat_activity WHERE query LIKE '%ended-session-victim%' AND pid <> pg_backend_pid()`)).rows[0]?.pid as number | undefined;
      let pid: number | undefined;
      while (!(pid = await running())) await new Promise((resolve) => setTimeout(resolve, 10));
      await t.db.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect(victim).rejects.toThrow('terminating connection due to administrator command');
      // At once, before the closed socket is noticed: the pool's most recently returned client is that one.
      await expect(dataSource.query(`SELECT 1 AS one`)).resolves.toEqual([{ one: 1 }]);
    }
  });
});
