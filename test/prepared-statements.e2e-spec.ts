import { Pool } from 'pg';
import { PreparingClient, statementName } from '../src/database/prepared-statements';
import { createTestDatabase } from './support/test-database';

/** The statements this connection has prepared, by name. */
async function preparedOn(client: { query: Pool['query'] }): Promise<string[]> {
  const { rows } = await client.query(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'mi\\_%'`);
  return rows.map((row: { name: string }) => row.name).sort();
}

describe('prepared statements (PreparingClient on a real Postgres)', () => {
  let pool: Pool;

  beforeAll(async () => {
    // One connection, so every statement below meets the same session's prepared statements.
    pool = new Pool({ connectionString: await createTestDatabase(), max: 1, Client: PreparingClient });
    await pool.query(`CREATE TABLE notes (id int PRIMARY KEY, body text)`);
  });
  afterAll(() => pool?.end());

  it('prepares a statement with parameters on its first call and runs it prepared after that, with each call its own values', async () => {
    const insert = `INSERT INTO notes (id, body) VALUES ($1, $2) RETURNING body`;
    expect((await pool.query(insert, [1, 'one'])).rows).toEqual([{ body: 'one' }]);
    expect((await pool.query(insert, [2, 'two'])).rows).toEqual([{ body: 'two' }]);
    expect(await preparedOn(pool)).toContain(statementName(insert));
    const client = await pool.connect();
    try {
      // The promise form (TypeORM's) as well as the callback form (pg-pool's `query`).
      const select = `SELECT body FROM notes WHERE id = $1`;
      expect((await client.query(select, [2])).rows).toEqual([{ body: 'two' }]);
      expect(await preparedOn(client)).toContain(statementName(select));
    } finally {
      client.release();
    }
  });

  it('leaves a text without parameters unprepared, so one holding several statements still runs', async () => {
    const before = await preparedOn(pool);
    await pool.query(`UPDATE notes SET body = 'uno' WHERE id = 1; UPDATE notes SET body = 'dos' WHERE id = 2`);
    expect((await pool.query(`SELECT body FROM notes ORDER BY id`)).rows).toEqual([{ body: 'uno' }, { body: 'dos' }]);
    expect(await preparedOn(pool)).toEqual(before);
  });

  it("refuses a prepared statement once a migration changed its result's shape, then runs it unprepared on that connection", async () => {
    const select = `SELECT * FROM notes WHERE id = $1`;
    expect((await pool.query(select, [1])).rows).toEqual([{ id: 1, body: 'uno' }]);
    await pool.query(`ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false`);
    await expect(pool.query(select, [1])).rejects.toMatchObject({ code: '0A000' });
    expect((await pool.query(select, [1])).rows).toEqual([{ id: 1, body: 'uno', pinned: false }]);
  });
});
