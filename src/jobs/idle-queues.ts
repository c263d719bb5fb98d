import type { Pool } from 'pg';

/** Postgres' `lock_not_available`: the table lock was not free (NOWAIT). */
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
 * locked are skipped, never waited for.
 *
 * The lock is only taken when it is free at once (NOWAIT), tried `attempts` times `retryMs`
 * apart. A lock request that waits makes every later `add_job` wait behind it: waiting up to
 * 100 ms for it, once a second, held every job insert meanwhile (7–16 ms a time in the bench,
 * the webhook's 200 answers with it). Given up, nothing is deleted this time.
 */
export async function deleteIdleQueues(pool: Pool, { attempts = 5, retryMs = 20 }: { attempts?: number; retryMs?: number } = {}): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const deleted = await deleteIfLockFree(pool);
    if (deleted !== null || attempt >= attempts) return deleted ?? 0;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/** One try: the idle queues' rows deleted, or null if the table lock was not free at once. */
async function deleteIfLockFree(pool: Pool): Promise<number | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE graphile_worker._private_job_queues IN SHARE ROW EXCLUSIVE MODE NOWAIT');
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
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return null;
    throw error;
  } finally {
    client.release();
  }
}
