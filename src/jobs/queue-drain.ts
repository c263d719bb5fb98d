import type { Logger } from '@nestjs/common';
import type { Job } from 'graphile-worker';
import type { Pool } from 'pg';
import { logFailure } from './job-failure-log';
import { contextOf, type JobContext } from './job-types';

/**
 * A claimed job (`$1`, locked by `$2`) failed, as graphile-worker fails a job: unlocked with its
 * error (`$3`), to run again after graphile-worker's backoff (`exp(min(attempts, 10))` s).
 */
export const FAIL_CLAIMED_JOB = `UPDATE graphile_worker._private_jobs
  SET last_error = $3, run_at = greatest(now(), run_at) + exp(least(attempts, 10)) * interval '1 second', locked_by = NULL, locked_at = NULL, updated_at = now()
  WHERE id = $1 AND locked_by = $2`;

/** A job claimed from a named queue by the worker that runs the queue's current job. */
export interface ClaimedJob {
  id: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

/**
 * The next jobs of a named queue, run by the worker that holds the queue, one after the other.
 *
 * graphile-worker hands out one job per fetch, and its fetch locks every available queue row,
 * so concurrent fetches come back empty and a queue's next job often waited for a poll. While a
 * job of a queue runs, the queue is locked to its worker; that worker can claim the queue's
 * next due job the way graphile-worker's fetch does (locked by the same worker id, one more
 * attempt) and complete or fail it the way graphile-worker does. A claimed job is an ordinary
 * locked job: if the process dies, it is freed with the worker's other jobs and runs again.
 */
export class QueueDrain {
  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly instance: {
      /** The jobs the instance runs now, for its liveness (a claimed job is one of them while it runs). */
      running: () => Set<string> | undefined;
      stopping: () => boolean;
    },
  ) {}

  /**
   * After `job` succeeded: up to `max` more due jobs of its task and queue, one after the other,
   * through `run`; stops at the first that fails (failed as graphile-worker fails a job), when
   * none is due, or when the instance stops.
   */
  async runRest<P>(name: string, job: Job, max: number, run: (payload: P, context: JobContext) => Promise<void>): Promise<void> {
    const workerId = job.locked_by;
    if (!workerId) return;
    // A job done is completed by the statement that claims the next one.
    let done: ClaimedJob | null = null;
    try {
      for (let count = 0; count < max && !this.instance.stopping(); count++) {
        const next = await this.claimNext(job, done);
        done = null;
        if (!next) return;
        this.instance.running()?.add(next.id);
        try {
          await run(next.payload as P, contextOf(next));
          done = next;
        } catch (error) {
          logFailure(this.logger, { job: { ...next, task_identifier: name }, error });
          await this.fail(next, workerId, (error as Error)?.message ?? String(error));
          return;
        } finally {
          this.instance.running()?.delete(next.id);
        }
      }
    } finally {
      if (done) await this.complete(done, workerId);
    }
  }

  /**
   * Locks the queue's next due job of this task to the running job's worker, or answers null;
   * `done`, a job claimed before and finished, is completed in the same statement.
   */
  async claimNext(running: Pick<Job, 'job_queue_id' | 'locked_by' | 'task_id'>, done: ClaimedJob | null = null): Promise<ClaimedJob | null> {
    if (running.job_queue_id === null || !running.locked_by) return null;
    const { rows } = await this.pool.query<ClaimedJob>(
      `WITH done AS (DELETE FROM graphile_worker._private_jobs WHERE id = $4 AND locked_by = $2)
       UPDATE graphile_worker._private_jobs SET attempts = attempts + 1, locked_by = $2, locked_at = now()
       WHERE id = (
         SELECT id FROM graphile_worker._private_jobs
         WHERE job_queue_id = $1 AND task_id = $3 AND is_available AND run_at <= now()
         ORDER BY priority, run_at, id LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING id::text, payload, attempts, max_attempts`,
      [running.job_queue_id, running.locked_by, running.task_id, done?.id ?? null],
    );
    return rows[0] ?? null;
  }

  /** A claimed job done: gone, as graphile-worker completes a job. */
  async complete(job: ClaimedJob, workerId: string): Promise<void> {
    await this.pool.query(`DELETE FROM graphile_worker._private_jobs WHERE id = $1 AND locked_by = $2`, [job.id, workerId]);
  }

  /** A claimed job failed: unlocked with its error, to run again after graphile-worker's backoff (`exp(min(attempts, 10))` s). */
  async fail(job: ClaimedJob, workerId: string, message: string): Promise<void> {
    await this.pool.query(FAIL_CLAIMED_JOB, [job.id, workerId, message]);
  }
}
