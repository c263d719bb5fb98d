import type { Pool, PoolClient } from 'pg';

/**
 * `work` on one connection of `pool`, in a transaction: committed if it resolves, rolled back if
 * it throws; the connection goes back to the pool either way.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
