import type { Pool } from 'pg';
import { inTransaction } from '../database/pool-transaction';

/**
 * The advisory lock (class, key) that stands between adding jobs to named queues and deleting idle
 * queue rows: every transaction that inserts (or finds, through `ON CONFLICT DO NOTHING`) a queue
 * row holds it shared until it ends; a deletion needs it alone.
 */
const QUEUE_ROWS_LOCK: [number, number] = [726_374, 0];

/**
 * A trigger on graphile-worker's queues table (installed with its schema): every row `add_job`
 * proposes for it, inserted or found already there, takes the queue-rows lock shared for the
 * rest of the adding transaction. Row-level BEFORE INSERT triggers fire before `ON CONFLICT` is
 * decided, so the queue an `add_job` found is covered as much as one it made.
 */
export const QUEUE_ROWS_GUARD = `
  CREATE OR REPLACE FUNCTION graphile_worker.meta_inbox_guard_queue_rows() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock_shared(${QUEUE_ROWS_LOCK[0]}, ${QUEUE_ROWS_LOCK[1]});
    RETURN NEW;
  END $$;
  DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'meta_inbox_guard_queue_rows' AND tgrelid = 'graphile_worker._private_job_queues'::regclass) THEN
      CREATE TRIGGER meta_inbox_guard_queue_rows BEFORE INSERT ON graphile_worker._private_job_queues
        FOR EACH ROW EXECUTE FUNCTION graphile_worker.meta_inbox_guard_queue_rows();
    END IF;
  END $$`;

/**
 * Deletes the rows of named queues that have no job and are not locked, and answers how many.
 *
 * graphile-worker never deletes a queue row (its own cleanup raced with `add_job`), and every job
 * fetch of every worker pool locks every available queue row: with a send queue per
 * conversation, each fetch grew slower with every conversation that ever got a send, and
 * concurrent fetches (of any group) excluded each other over all those rows.
 *
 * The race: `add_job` inserts its queue row with `ON CONFLICT DO NOTHING`, then its job with the
 * queue's id looked up by name in a later statement, so a queue row deleted in between leaves the
 * job outside its queue. It is closed by the queue-rows lock (`QUEUE_ROWS_GUARD`): an adding
 * transaction holds it shared from its queue row to its end, and a deletion runs only when it
 * gets it alone. So a queue is deleted either before an `add_job` proposes it (which then makes
 * it again) or after that job is committed (and the queue is not idle). Job fetches and
 * completions, which only update queue rows, never stand in its way, and rows they hold are
 * skipped.
 *
 * The lock is only taken when it is free at once, tried `attempts` times `retryMs` apart: a
 * deletion never waits, so no `add_job` (the webhook's jobs, before its 200) ever waits behind
 * it. Given up, nothing is deleted this time. (It once took the queues table's own lock, which
 * every fetch that locks a queue and every completion that frees one holds too, so with the send
 * workers busy it was seldom free at once.)
 */
export async function deleteIdleQueues(pool: Pool, { attempts = 5, retryMs = 20 }: { attempts?: number; retryMs?: number } = {}): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const deleted = await deleteIfLockFree(pool);
    if (deleted !== null || attempt >= attempts) return deleted ?? 0;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/** One try: the idle queues' rows deleted, or null if the queue-rows lock was not free at once. */
async function deleteIfLockFree(pool: Pool): Promise<number | null> {
  return inTransaction(pool, async (client) => {
    const { rows: [lock] } = await client.query('SELECT pg_try_advisory_xact_lock($1, $2) AS free', QUEUE_ROWS_LOCK);
    if (!lock.free) return null;
    const { rowCount } = await client.query(
      `DELETE FROM graphile_worker._private_job_queues WHERE id IN (
         SELECT q.id FROM graphile_worker._private_job_queues q
         WHERE q.locked_at IS NULL AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs j WHERE j.job_queue_id = q.id)
         FOR UPDATE SKIP LOCKED)`,
    );
    return rowCount ?? 0;
  });
}
