import type { Pool } from 'pg';

/** Postgres' `lock_not_available`: the table lock was not free within the statement's lock timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Deletes the rows of named queues that have no job and are not locked, and answers how many.
 *
 * graphile-worker never deletes a queue row (its own cleanup raced with `add_job`), and every job
 * fetch of every worker pool locks every available queue row: with a send queue per
 * conversation, each fetch grew slower with every conversation that ever got a send, and
 * concurrent fetches (of any group) excluded each other over all those rows.
 *
 * The race is closed by a table lock: `add_job` inserts its queue row (or finds it) and its job
 * in one transaction, holding the table's ROW EXCLUSIVE lock until it commits, which conflicts
 * with the SHARE ROW EXCLUSIVE lock taken here. So a queue is deleted either before an `add_job`
 * finds it (which then makes it again) or after that job is committed (and the queue is not idle).
 * Job fetches only take row locks (ROW SHARE), so they go on meanwhile; queue rows a fetch has
 * locked are skipped, never waited for. The lock is given up after `lockTimeoutMs` rather than
 * making new jobs wait behind a long transaction.
 */
export async function deleteIdleQueues(pool: Pool, lockTimeoutMs = 100): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
    await client.query('LOCK TABLE graphile_worker._private_job_queues IN SHARE ROW EXCLUSIVE MODE');
    const { rowCount } = await client.query(
      `DELETE FROM graphile_worker._private_job_queues WHERE id IN (
         SELECT q.id FROM graphile_worker._private_job_queues q
         WHERE q.locked_at IS NULL AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs j WHERE j.job_queue_id = q.id)
         FOR UPDATE SKIP LOCKED)`,
    );
    await client.query('COMMIT');
    return rowCount ?? 0;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return 0;
    throw error;
  } finally {
    client.release();
  }
}
