import type { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { GroupCommit } from './group-commit';
import { logFailure } from './job-failure-log';
import { Alongside, contextOf, holderOf, ORDER_SEQ } from './job-types';
import type { OrderedContext, Requeue } from './ordered-queues';

/**
 * A claimed job (`$1`, locked by `$2`) failed, as graphile-worker fails a job: unlocked with its
 * error (`$3`), to run again after graphile-worker's backoff (`exp(min(attempts, 10))` s).
 */
const FAIL_CLAIMED_JOB = `UPDATE graphile_worker._private_jobs
  SET last_error = $3, run_at = greatest(now(), run_at) + exp(least(attempts, 10)) * interval '1 second', locked_by = NULL, locked_at = NULL, updated_at = now()
  WHERE id = $1 AND locked_by = $2`;

/** A job claimed from a named queue by the worker that runs the queue's current job. */
interface ClaimedJob {
  id: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

/** How many of the earliest due jobs of its kind a claim looks among for other queues' next jobs. */
const CLAIM_CANDIDATES = 100;

/** A job claimed to run alongside the running one, and its queue. */
export interface ClaimedAlongside extends ClaimedJob {
  queue: number;
}

/** What a claim found: the jobs it took, and when the holder of the running job's own line runs, if one holds it. */
export interface Claim {
  claimed: ClaimedAlongside[];
  holder: Date | null;
}

/**
 * Other queues' next jobs, claimed by a running ordered job and run alongside it
 * (`RegisterOptions.alongside`): one statement takes several jobs instead of a fetch each.
 */
export class AlongsideClaims {
  /** Completions of jobs run alongside others, written together when they come at once. */
  private readonly completions = new GroupCommit<{ id: string; lockedBy: string; name: string }>({
    write: (groups) => this.complete(groups.flat()),
    maxItems: 500,
  });

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly jobs: Pick<Requeue, 'wakeAt' | 'running' | 'stopping'>,
  ) {}

  /**
   * Up to `max` jobs of the running job's kind that are next in line in other queues of the
   * `queuesStartingWith` prefix, on their first run and due, in queues no worker runs, fetches
   * from or holds: each locked to the running job's pool with its queue, one more attempt, as
   * graphile-worker's fetch locks a job. One statement instead of a fetch per job; a claimed job
   * is an ordinary locked job (if the process dies, it is freed with its pool's other jobs).
   * The same statement looks for a holder of the running job's own line ahead of its `seq`
   * (see `OrderedQueues.run`). Answers null when no claim can be made now.
   */
  async claim(context: OrderedContext, { queuesStartingWith, max }: Alongside, seq: string): Promise<Claim | null> {
    if (!context.lockedBy || context.taskId === undefined || this.jobs.stopping()) return null;
    const { rows } = await this.pool.query<{ holder: Date | null; claimed: ClaimedAlongside[] }>(
      // The earliest due jobs of the kind, whatever their queue, from graphile-worker's own index
      // of available jobs: the first of a queue among them is its next job. A job is locked
      // before its queue, so a job taken meanwhile by another worker never leaves its queue
      // locked to this one. The queues are looked up by id from an array worked out once: the
      // jobs table's statistics are rarely right, and a semi join planned on them checked every
      // queue against every candidate (130–260 ms a claim after a few minutes of load).
      `WITH candidates AS MATERIALIZED (
         SELECT j.id, j.job_queue_id, j.attempts, j.priority, j.run_at, j.payload
         FROM graphile_worker._private_jobs j
         WHERE j.is_available AND j.run_at <= now() AND j.task_id = $3 AND j.job_queue_id IS NOT NULL AND j.job_queue_id <> $2
         ORDER BY j.priority, j.run_at, j.id
         LIMIT $6
       ), heads AS (
         SELECT DISTINCT ON (job_queue_id) id, job_queue_id, attempts, run_at, payload FROM candidates ORDER BY job_queue_id, priority, run_at, id
       ), queues AS MATERIALIZED (
         SELECT q.id FROM graphile_worker._private_job_queues q
         WHERE q.id = ANY (ARRAY(SELECT job_queue_id FROM heads WHERE attempts = 0 AND NOT (payload::jsonb ? '${ORDER_SEQ}')))
           AND starts_with(q.queue_name, $1) AND q.is_available
           AND NOT EXISTS (SELECT 1 FROM job_queue_holds h WHERE h.job_queue_id = q.id)
         FOR UPDATE SKIP LOCKED
       ), picked AS (
         SELECT heads.id FROM heads JOIN queues ON queues.id = heads.job_queue_id ORDER BY heads.run_at, heads.id LIMIT $5
       ), taken AS (
         UPDATE graphile_worker._private_jobs j SET attempts = j.attempts + 1, locked_by = $4, locked_at = now()
         FROM picked WHERE j.id = picked.id AND j.locked_at IS NULL
         RETURNING j.id, j.job_queue_id, j.payload, j.attempts, j.max_attempts
       ), locked AS (
         UPDATE graphile_worker._private_job_queues q SET locked_by = $4, locked_at = now() FROM taken WHERE q.id = taken.job_queue_id
       )
       SELECT (${holderOf('$2', '$7')}) AS holder,
         coalesce((SELECT json_agg(json_build_object('id', id::text, 'queue', job_queue_id, 'payload', payload, 'attempts', attempts, 'max_attempts', max_attempts))
           FROM taken), '[]') AS claimed`,
      [queuesStartingWith, context.queueId, context.taskId, context.lockedBy, max, CLAIM_CANDIDATES, seq],
    );
    return rows[0];
  }

  /**
   * Runs the claimed jobs at once through `runInLine`, each as if a worker had fetched it. Each
   * one that succeeded is completed as soon as it is done (with those of other batches done at the
   * same time, in one statement), so its queue's next job does not wait for the slowest of the
   * batch; each one that failed is failed as graphile-worker fails a job, and its queue unlocked.
   */
  async run(name: string, claimed: ClaimedAlongside[], lockedBy: string, runInLine: (job: ClaimedAlongside, context: OrderedContext) => Promise<void>): Promise<void> {
    await Promise.all(
      claimed.map(async (job) => {
        this.jobs.running()?.add(job.id);
        try {
          await runInLine(job, { ...contextOf(job), queueId: job.queue, lockedBy });
        } catch (error) {
          logFailure(this.logger, { job: { ...job, task_identifier: name }, error });
          await this.pool
            .query(
              `WITH j AS (${FAIL_CLAIMED_JOB} RETURNING job_queue_id)
               UPDATE graphile_worker._private_job_queues q SET locked_by = NULL, locked_at = NULL FROM j WHERE q.id = j.job_queue_id AND q.locked_by = $2`,
              [job.id, lockedBy, (error as Error)?.message ?? String(error)],
            )
            .catch((failError: Error) => this.logger.warn(`job ${job.id}: could not record its failure: ${failError.message}`));
          return;
        } finally {
          this.jobs.running()?.delete(job.id);
        }
        // Left locked to the pool if this fails: freed as an orphan and run again (a send is at least once).
        await this.completions
          .add([{ id: job.id, lockedBy, name }])
          .catch((error: Error) => this.logger.warn(`could not complete job ${job.id}, run alongside another: ${error.message}`));
      }),
    );
  }

  /** Claimed jobs done: gone and their queues unlocked, as graphile-worker completes a job; a queue with more due jobs wakes a worker. */
  private async complete(jobs: { id: string; lockedBy: string; name: string }[]): Promise<void> {
    const { rows } = await this.pool.query<{ name: string }>(
      `WITH j AS (
         DELETE FROM graphile_worker._private_jobs j USING unnest($1::bigint[], $2::text[], $3::text[]) AS d(id, locked_by, name)
         WHERE j.id = d.id AND j.locked_by = d.locked_by RETURNING j.job_queue_id, d.locked_by, d.name
       ), q AS (
         UPDATE graphile_worker._private_job_queues q SET locked_by = NULL, locked_at = NULL FROM j
         WHERE q.id = j.job_queue_id AND q.locked_by = j.locked_by RETURNING q.id, j.name
       )
       SELECT DISTINCT q.name FROM q
       WHERE EXISTS (SELECT 1 FROM graphile_worker._private_jobs w WHERE w.job_queue_id = q.id AND w.is_available AND w.run_at <= now() AND w.id <> ALL($1::bigint[]))`,
      [jobs.map((job) => job.id), jobs.map((job) => job.lockedBy), jobs.map((job) => job.name)],
    );
    for (const { name } of rows) this.jobs.wakeAt(new Date(), name);
  }
}
