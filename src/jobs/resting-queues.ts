import type { Pool } from 'pg';

/**
 * The `locked_by` of a named queue that rests: its line is held by a job put back to a later
 * time (a rate-limited Page's send waiting for its turn), so none of its jobs can run before
 * then. Its `locked_at` is when the rest ends.
 */
export const RESTING = 'meta-inbox:resting';

/**
 * A queue rests only for a put-back at least this far off: a nearer one is due before a rest
 * would pay for itself (and every fetch that could pass it over is cheap at that scale).
 */
export const REST_FROM_MS = 250;

/**
 * A rest is ended this much before its time: the job that holds the line is not due yet, so an
 * early end costs nothing, while a late one delays its turn (the releasing instance's timer runs
 * in its clock, the rest's end is the database's).
 */
const END_EARLY_MS = 100;

/**
 * The rest of the running job's queue, as two CTEs of a statement: its row is locked to `RESTING`
 * until `runAt` when `rest` holds and the queue is still locked to the running job's pool or
 * worker (`lockedBy`). graphile-worker then unlocks it neither when the job completes (its
 * completion unlocks only a queue locked to its own pool) nor fails, and no fetch or claim sees
 * it. Its other jobs due before then are moved to then, as `RESTING_QUEUE_JOBS` moves the jobs
 * added to it meanwhile: every fetch and claim reads the due jobs in the order they came due, and
 * would otherwise pass over all of them, one by one, before it reached a job it could run.
 */
export const restQueue = ({ queueId, runAt, lockedBy, rest }: { queueId: string; runAt: string; lockedBy: string; rest: string }) =>
  `rested AS (
     UPDATE graphile_worker._private_job_queues SET locked_by = '${RESTING}', locked_at = ${runAt}::timestamptz
     WHERE ${rest}::boolean AND id = ${queueId} AND locked_by = ${lockedBy}::text
     RETURNING id, locked_at
   ), rested_jobs AS (
     UPDATE graphile_worker._private_jobs j SET run_at = rested.locked_at FROM rested
     WHERE j.job_queue_id = rested.id AND j.locked_at IS NULL AND j.run_at < rested.locked_at
   )`;

/**
 * A trigger on graphile-worker's jobs table (installed with its schema): a job added to a queue
 * that rests is due when the rest ends, not before (see `restQueue`). One lookup by key per job
 * added to a named queue; nothing for the others.
 */
export const RESTING_QUEUE_JOBS = `
  CREATE OR REPLACE FUNCTION graphile_worker.meta_inbox_resting_queue_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    rest_ends timestamptz;
  BEGIN
    SELECT locked_at INTO rest_ends FROM graphile_worker._private_job_queues WHERE id = NEW.job_queue_id AND locked_by = '${RESTING}';
    IF rest_ends > NEW.run_at THEN
      NEW.run_at := rest_ends;
    END IF;
    RETURN NEW;
  END $$;
  DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'meta_inbox_resting_queue_jobs' AND tgrelid = 'graphile_worker._private_jobs'::regclass) THEN
      CREATE TRIGGER meta_inbox_resting_queue_jobs BEFORE INSERT ON graphile_worker._private_jobs
        FOR EACH ROW WHEN (NEW.job_queue_id IS NOT NULL) EXECUTE FUNCTION graphile_worker.meta_inbox_resting_queue_jobs();
    END IF;
  END $$`;

/**
 * Why: graphile-worker's fetch locks every available queue row before it looks for a due job in
 * them, so the queues of a Page paused after a 613 (one per conversation, each with its sends
 * put back to the pause's end, then again when Meta refuses the next call) made every fetch of
 * every pool slower while they waited. A resting queue is not available: no fetch locks it.
 *
 * Answers how many rests ended. Every instance ends the rests that are due about once a second
 * (so a rest outlives no instance that died), and the one that began a rest ends it when its
 * time comes.
 */
export async function endDueRests(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE graphile_worker._private_job_queues SET locked_by = NULL, locked_at = NULL
     WHERE locked_by = '${RESTING}' AND locked_at <= now() + make_interval(secs => $1::float8 / 1000)`,
    [END_EARLY_MS],
  );
  return rowCount ?? 0;
}
