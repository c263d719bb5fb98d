import type { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import { attemptsLeft, FollowingJobs, JobContext, JobHandler, RunLater } from './job-types';

/** Where a job put back behind an earlier one keeps its place: the id of the job it was first added as. */
const ORDER_SEQ = 'orderSeq';

export type OrderedPayload<P> = P & { [ORDER_SEQ]?: string };

/** What ordered queues need of the job queue. */
interface Requeue {
  wakeAt(runAt: Date): void;
}

/**
 * Jobs of one named queue in the order they were added, also across retries and put-backs
 * (graphile-worker alone unlocks a queue when its job fails, and the next job runs).
 */
export class OrderedQueues {
  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly jobs: Requeue,
  ) {}

  /**
   * A queue's line is held by each of its jobs that failed and waits for a retry (a row in
   * `job_queue_holds`, released when the job succeeds or gives up). A job that finds an earlier
   * job holding the line is added again to run right after that job's retry, keeping its place
   * (its first id) for the jobs behind it, and holds the line itself until it has run.
   */
  async run<P>(name: string, payload: OrderedPayload<P>, context: JobContext & { queueId: number }, handler: JobHandler<P>): Promise<void> {
    const seq = payload[ORDER_SEQ] ?? context.jobId;
    const [holder] = (
      await this.pool.query(
        `SELECT greatest(j.run_at, now()) AS run_at
         FROM job_queue_holds h JOIN graphile_worker.jobs j ON j.id = h.job_id
         WHERE h.job_queue_id = $1 AND h.seq < $2 AND (j.locked_at IS NOT NULL OR j.attempts < j.max_attempts)
         ORDER BY j.run_at DESC LIMIT 1`,
        [context.queueId, seq],
      )
    ).rows as { run_at: Date }[];
    if (holder) {
      // It holds the line while it waits, so the jobs placed after it stay behind it: graphile-worker
      // picks a queue's next job by run_at alone, and they all wait for the same run_at.
      await this.putBackHolding(name, { ...payload, [ORDER_SEQ]: seq }, context, holder.run_at, context.maxAttempts);
      return;
    }
    try {
      // Only a first run can be sure the jobs behind it are next: a retry or a put-back holds the line.
      const first = context.attempt === 1 && payload[ORDER_SEQ] === undefined;
      await handler(payload, first ? { ...context, following: this.following(name, context) } : context);
    } catch (error) {
      if (error instanceof RunLater) return this.putBackHolding(name, { ...payload, ...error.changes, [ORDER_SEQ]: seq }, context, error.runAt);
      // The job's own failure is what graphile-worker must record, whatever happens to the hold.
      const line = context.isLastAttempt
        ? this.releaseLine(context.jobId)
        : this.pool.query(`INSERT INTO job_queue_holds (job_id, job_queue_id, seq) VALUES ($1, $2, $3) ON CONFLICT (job_id) DO NOTHING`, [context.jobId, context.queueId, seq]);
      await Promise.resolve(line).catch((holdError: Error) => this.logger.warn(`job ${context.jobId}: could not update its queue's line: ${holdError.message}`));
      throw error;
    }
    // Only a retried or put-back job can hold the line: a first run that succeeds costs nothing more.
    if (context.attempt > 1 || payload[ORDER_SEQ] !== undefined) await this.releaseLine(context.jobId);
  }

  /**
   * The job goes again at `runAt` in the same queue, and holds the line meanwhile (its new row
   * is held before this run's hold is released), so later jobs of the queue stay behind it.
   */
  private async putBackHolding(
    name: string,
    payload: object & { [ORDER_SEQ]: string },
    context: JobContext & { queueId: number },
    runAt: Date,
    maxAttempts = attemptsLeft(context),
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO job_queue_holds (job_id, job_queue_id, seq)
       SELECT j.id, q.id, $6
       FROM graphile_worker._private_job_queues q, LATERAL graphile_worker.add_job($1, $2::json, q.queue_name, $3::timestamptz, $4::int) j
       WHERE q.id = $5`,
      [name, JSON.stringify(payload), runAt.toISOString(), maxAttempts, context.queueId, payload[ORDER_SEQ]],
    );
    await this.releaseLine(context.jobId);
    this.jobs.wakeAt(runAt);
  }

  /**
   * The running job's queue is locked to it, so no other worker takes the jobs behind it: the
   * leading run of them that graphile-worker would run next, one after the other, is taken in
   * the caller's transaction. Nothing is taken while any job of the queue holds its line.
   *
   * With `alsoQueuesStartingWith`, the leading runs of other such queues are taken too: their
   * rows are locked `FOR UPDATE SKIP LOCKED` until the caller's transaction ends, which is what
   * graphile-worker's own fetch asks of a queue before it takes a job from it, so no worker
   * takes their jobs meanwhile. Queues that are running a job, hold their line, or are being
   * fetched from are passed over.
   */
  private following(name: string, context: JobContext & { queueId: number }): FollowingJobs {
    return {
      take: async <P>(manager: EntityManager, limit: number, options: { alsoQueuesStartingWith?: string } = {}): Promise<P[]> => {
        const rows: { id: string; queue: number; payload: P & object; ready: boolean; identifier: string; attempts: number }[] = await manager.query(
          `WITH others AS MATERIALIZED (
             SELECT q.id FROM graphile_worker._private_job_queues q
             WHERE $4::text IS NOT NULL AND starts_with(q.queue_name, $4) AND q.is_available AND q.id <> $1
               AND NOT EXISTS (SELECT 1 FROM job_queue_holds h WHERE h.job_queue_id = q.id)
               AND EXISTS (SELECT 1 FROM graphile_worker._private_jobs w WHERE w.job_queue_id = q.id AND w.run_at <= now())
             FOR UPDATE SKIP LOCKED
           )
           SELECT j.id::text AS id, j.job_queue_id AS queue, j.payload, j.attempts, j.locked_at IS NULL AND j.run_at <= now() AS ready, t.identifier
           FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
           WHERE j.id <> $2 AND j.attempts < j.max_attempts
             AND ((j.job_queue_id = $1 AND NOT EXISTS (SELECT 1 FROM job_queue_holds h WHERE h.job_queue_id = $1)) OR j.job_queue_id IN (SELECT id FROM others))
           ORDER BY j.job_queue_id = $1 DESC, j.job_queue_id, j.priority, j.run_at, j.id
           LIMIT $3
           FOR UPDATE OF j`,
          [context.queueId, context.jobId, limit, options.alsoQueuesStartingWith ?? null],
        );
        // Each queue's jobs up to its first one that is not next in line.
        const stopped = new Set<number>();
        const taken = rows.filter((row) => {
          if (stopped.has(row.queue)) return false;
          if (row.ready && row.attempts === 0 && row.identifier === name && !(ORDER_SEQ in (row.payload ?? {}))) return true;
          stopped.add(row.queue);
          return false;
        });
        if (taken.length > 0) await manager.query(`DELETE FROM graphile_worker._private_jobs WHERE id = ANY($1::bigint[])`, [taken.map((row) => row.id)]);
        return taken.map((row) => row.payload);
      },
    };
  }

  private async releaseLine(jobId: string): Promise<void> {
    await this.pool.query(`DELETE FROM job_queue_holds WHERE job_id = $1`, [jobId]);
  }
}
