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
   * After `job` succeeded: up to `max` more due jobs of its task and queue through `run`, up to
   * `together` of them at once (each batch claimed in one statement, which also completes the
   * batch before it); stops after a batch in which one failed (failed as graphile-worker fails a
   * job), when none is due, or when the instance stops.
   */
  async runRest<P>(name: string, job: Job, max: number, run: (payload: P, context: JobContext) => Promise<void>, together = 1): Promise<void> {
    const workerId = job.locked_by;
    if (!workerId) return;
    // Jobs done are completed by the statement that claims the next ones.
    let done: ClaimedJob[] = [];
    try {
      for (let count = 0; count < max && !this.instance.stopping(); ) {
        const claimed = await this.claim(job, done, Math.min(together, max - count));
        done = [];
        if (claimed.length === 0) return;
        count += claimed.length;
        const outcomes = await Promise.allSettled(claimed.map((next) => this.runOne(name, next, workerId, run)));
        done = claimed.filter((_, i) => outcomes[i].status === 'fulfilled' && (outcomes[i] as PromiseFulfilledResult<boolean>).value);
        const error = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        if (error) throw error.reason;
        if (done.length < claimed.length) return;
      }
    } finally {
      if (done.length > 0) await this.complete(done, workerId);
    }
  }

  /** One claimed job through `run`: true when it succeeded, false when it failed and was failed. */
  private async runOne<P>(name: string, next: ClaimedJob, workerId: string, run: (payload: P, context: JobContext) => Promise<void>): Promise<boolean> {
    this.instance.running()?.add(next.id);
    try {
      await run(next.payload as P, contextOf(next));
      return true;
    } catch (error) {
      logFailure(this.logger, { job: { ...next, task_identifier: name }, error });
      await this.fail(next, workerId, (error as Error)?.message ?? String(error));
      return false;
    } finally {
      this.instance.running()?.delete(next.id);
    }
  }

  /**
   * Locks up to `limit` of the queue's next due jobs of this task to the running job's worker
   * (none when nothing is due); `done`, jobs claimed before and finished, are completed in the
   * same statement.
   */
  async claim(running: Pick<Job, 'job_queue_id' | 'locked_by' | 'task_id'>, done: ClaimedJob[] = [], limit = 1): Promise<ClaimedJob[]> {
    if (running.job_queue_id === null || !running.locked_by) return [];
    const { rows } = await this.pool.query<ClaimedJob>(
      `WITH done AS (DELETE FROM graphile_worker._private_jobs WHERE id = ANY($4::bigint[]) AND locked_by = $2)
       UPDATE graphile_worker._private_jobs SET attempts = attempts + 1, locked_by = $2, locked_at = now()
       WHERE id IN (
         SELECT id FROM graphile_worker._private_jobs
         WHERE job_queue_id = $1 AND task_id = $3 AND is_available AND run_at <= now()
         ORDER BY priority, run_at, id LIMIT $5
         FOR UPDATE SKIP LOCKED)
       RETURNING id::text, payload, attempts, max_attempts`,
      [running.job_queue_id, running.locked_by, running.task_id, done.map((job) => job.id), limit],
    );
    return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
  }

  /** Claimed jobs done: gone, as graphile-worker completes a job. */
  async complete(jobs: ClaimedJob[], workerId: string): Promise<void> {
    await this.pool.query(`DELETE FROM graphile_worker._private_jobs WHERE id = ANY($1::bigint[]) AND locked_by = $2`, [jobs.map((job) => job.id), workerId]);
  }

  /** A claimed job failed: unlocked with its error, to run again after graphile-worker's backoff (`exp(min(attempts, 10))` s). */
  async fail(job: ClaimedJob, workerId: string, message: string): Promise<void> {
    await this.pool.query(FAIL_CLAIMED_JOB, [job.id, workerId, message]);
  }
}
