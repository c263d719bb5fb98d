import type { Pool } from 'pg';
import { inTransaction } from '../database/pool-transaction';
import { ORDER_SEQ, PARKED_FOR_MS } from './job-types';

/*
 * Queues at rest. graphile-worker's fetch locks every available queue row before it looks for a
 * due job in them, and reads the due jobs in the order they came due: the queues of a Page paused
 * after a 613 (one per conversation, each with its first send put back to the pause's end, again
 * whenever Meta refused the next call, and its later sends behind it) made every fetch of every
 * pool slower while they waited. A queue whose holder is put back far enough rests until then,
 * locked to no worker, so no fetch or claim sees it, with its other jobs parked behind the holder.
 */

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

/** When the jobs parked in a queue that rests until `restEnds` look again, unless the holder's release wakes them first. */
const parkedUntil = (restEnds: string) => `${restEnds} + interval '${PARKED_FOR_MS} milliseconds'`;

/** A job's payload as a parked job's: it keeps its place in the queue's line by its own id, unless it has one already. */
const parkedPayload = (job: string) =>
  `CASE WHEN ${job}.payload::jsonb ? '${ORDER_SEQ}' THEN ${job}.payload ELSE (${job}.payload::jsonb || jsonb_build_object('${ORDER_SEQ}', ${job}.id::text))::json END`;

/**
 * The rest of the running job's queue, as CTEs of a statement: its row is locked to `RESTING`
 * until `runAt` when `rest` holds and the queue is still locked to the running job's pool or
 * worker (`lockedBy`). graphile-worker then unlocks it neither when the job completes (its
 * completion unlocks only a queue locked to its own pool) nor fails, and no fetch or claim sees
 * it.
 *
 * The queue's other jobs are parked where they are, as each would park itself behind the holder
 * (`OrderedQueues.park`) once fetched: holding their place in the line by their id, woken one
 * after the other as the line frees, or PARKED_FOR_MS after the rest if nothing wakes them.
 * `RESTING_QUEUE_JOBS` does the same to the jobs added to it meanwhile. Left due, they would all
 * come due together when the rest ends, ahead of every job that came after them, and each would
 * cost a fetch and a run only to park.
 */
export const restQueue = ({ queueId, runAt, lockedBy, rest }: { queueId: string; runAt: string; lockedBy: string; rest: string }) =>
  `rested AS (
     UPDATE graphile_worker._private_job_queues SET locked_by = '${RESTING}', locked_at = ${runAt}::timestamptz
     WHERE ${rest}::boolean AND id = ${queueId} AND locked_by = ${lockedBy}::text
     RETURNING id, locked_at
   ), ${parkedInRest('')}`;

/** CTEs that park the available jobs of the queue in the CTE `rested` (its `id`, and its rest's end as `locked_at`) that `also` holds for. */
const parkedInRest = (also: string) =>
  `parked_in_rest AS (
     UPDATE graphile_worker._private_jobs j SET run_at = ${parkedUntil('rested.locked_at')}, payload = ${parkedPayload('j')}
     FROM rested WHERE j.job_queue_id = rested.id AND j.is_available AND j.run_at < ${parkedUntil('rested.locked_at')} ${also}
     RETURNING j.id, j.job_queue_id
   ), parked_holds AS (
     INSERT INTO job_queue_holds (job_id, job_queue_id, seq, parked) SELECT id, job_queue_id, id, true FROM parked_in_rest
     ON CONFLICT (job_id) DO NOTHING
   )`;

/**
 * The advisory-lock class between adding a job to a named queue (shared, keyed by the queue's id,
 * until the adding transaction ends: `RESTING_QUEUE_JOBS`) and parking what was added to a queue
 * while it was being rested (exclusive: `parkLateJobs`).
 */
const REST_LOCK_CLASS = 726_376;

/**
 * Parks the jobs added to a queue while its rest was being written: an insert that began before
 * the rest committed found the queue not resting, and the rest's statement did not see its job,
 * which was left due, without a hold, in a queue no fetch looks at until the rest ends. Waits
 * for those inserts (every insert holds its queue's lock shared until it commits), then parks
 * the jobs of the queue, if it still rests, that have no hold and are due before the rest ends.
 * Inserts that come after see the rest and park themselves.
 */
export async function parkLateJobs(pool: Pool, queueId: number): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(${REST_LOCK_CLASS}, $1::int)`, [queueId]);
    await client.query(
      `WITH rested AS (SELECT id, locked_at FROM graphile_worker._private_job_queues WHERE id = $1::int AND locked_by = '${RESTING}'),
       ${parkedInRest('AND NOT EXISTS (SELECT 1 FROM job_queue_holds h WHERE h.job_id = j.id)')}
       SELECT count(*) FROM parked_in_rest`,
      [queueId],
    );
  });
}

/**
 * A trigger on graphile-worker's jobs table (installed with its schema): a job added to a queue
 * that rests is parked behind its holder (see `restQueue`, and `parkLateJobs` for a job added
 * while the rest was being written). Only a job on its first run: a job
 * put back or parked already has its place (and the holder's own put-back may see its queue
 * resting). One lookup by key per job added to a named queue; nothing for the others.
 */
export const RESTING_QUEUE_JOBS = `
  CREATE OR REPLACE FUNCTION graphile_worker.meta_inbox_resting_queue_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    rest_ends timestamptz;
  BEGIN
    -- Held until this transaction ends, so a rest being written waits for this job to park it (parkLateJobs);
    -- taken first, so the look below (a snapshot of its own) sees a rest that committed meanwhile.
    PERFORM pg_advisory_xact_lock_shared(${REST_LOCK_CLASS}, NEW.job_queue_id);
    SELECT locked_at INTO rest_ends FROM graphile_worker._private_job_queues WHERE id = NEW.job_queue_id AND locked_by = '${RESTING}';
    IF rest_ends IS NOT NULL AND NEW.run_at < ${parkedUntil('rest_ends')} AND NOT (NEW.payload::jsonb ? '${ORDER_SEQ}') THEN
      NEW.run_at := ${parkedUntil('rest_ends')};
      NEW.payload := ${parkedPayload('NEW')};
      INSERT INTO job_queue_holds (job_id, job_queue_id, seq, parked) VALUES (NEW.id, NEW.job_queue_id, NEW.id, true) ON CONFLICT (job_id) DO NOTHING;
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
 * Ends the rests that are due, whichever instance began them, and answers how many. Every
 * instance does so about once a second (so a rest outlives no instance that died), and the one
 * that began a rest does so when its time comes.
 */
export async function endDueRests(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE graphile_worker._private_job_queues SET locked_by = NULL, locked_at = NULL
     WHERE locked_by = '${RESTING}' AND locked_at <= now() + make_interval(secs => $1::float8 / 1000)`,
    [END_EARLY_MS],
  );
  return rowCount ?? 0;
}
