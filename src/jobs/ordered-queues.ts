import type { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { AlongsideClaims } from './alongside-claims';
import { Alongside, attemptsLeft, holderOf, JobContext, JobHandler, LIVE_HOLDS, ORDER_SEQ, PARKED_FOR_MS, RunLater } from './job-types';
import { parkLateJobs, REST_FROM_MS, restQueue } from './resting-queues';

export type OrderedPayload<P> = P & { [ORDER_SEQ]?: string };

/** What ordered queues need of the job queue. */
export interface Requeue {
  /** Wakes an idle worker of the pool that runs `name` at `runAt` (ending the queues' rests due then first, with `rested`). */
  wakeAt(runAt: Date, name: string, options?: { rested?: boolean }): void;
  /** The jobs the instance runs now, for its liveness (a claimed job is one of them while it runs). */
  running(): Set<string> | undefined;
  stopping(): boolean;
}

/** A running ordered job as graphile-worker handed it out: its queue, and the lock its pool put on both. */
export type OrderedContext = JobContext & { queueId: number; lockedBy?: string | null; taskId?: number };

/**
 * Jobs of one named queue in the order they were added, also across retries and put-backs
 * (graphile-worker alone unlocks a queue when its job fails, and the next job runs).
 */
export class OrderedQueues {
  private readonly claims: AlongsideClaims;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly jobs: Requeue,
  ) {
    this.claims = new AlongsideClaims(pool, logger, jobs);
  }

  /**
   * A queue's line is held by each of its jobs that failed and waits for a retry (a row in
   * `job_queue_holds`, released when the job succeeds or gives up). A job that finds an earlier
   * job holding the line is parked: added again to run only once that job lets go (its release
   * wakes the first job parked behind it), keeping its place (its first id) for the jobs behind
   * it, and holding the line itself until it has run. A parked job costs nothing while the
   * holder is put back again and again (a rate-limited Page's turns) or waits for its retries.
   */
  async run<P>(name: string, payload: OrderedPayload<P>, context: OrderedContext, handler: JobHandler<P>, alongside?: Alongside): Promise<void> {
    const seq = payload[ORDER_SEQ] ?? context.jobId;
    // Only a first run can be sure the jobs behind it are next: a retry or a put-back holds the line.
    const first = context.attempt === 1 && payload[ORDER_SEQ] === undefined;
    // A first run looks for a holder of its line in the statement that claims the jobs it runs
    // alongside itself. Claiming is an optimisation: if it fails, the job runs alone (and no
    // claimed job is left half-taken: one statement).
    const claim =
      first && alongside
        ? await this.claims.claim(context, alongside, seq).catch((error: Error) => {
            this.logger.warn(`job ${context.jobId}: could not claim jobs to run alongside it: ${error.message}`);
            return null;
          })
        : null;
    const claimed = claim?.claimed ?? [];
    const holder = claim ? claim.holder : await this.holder(context.queueId, seq);
    const others = this.claims.run(name, claimed, context.lockedBy!, (job, jobContext) =>
      this.runInLine(name, job.payload as OrderedPayload<P>, job.id, jobContext, handler),
    );
    try {
      if (holder) await this.park(name, { ...payload, [ORDER_SEQ]: seq }, context, holder);
      else await this.runInLine(name, payload, seq, context, handler);
    } finally {
      await others;
    }
  }

  /** When the live holder of the queue's line ahead of `seq` runs, if there is one. */
  private async holder(queueId: number, seq: string): Promise<Date | null> {
    const { rows } = await this.pool.query<{ run_at: Date }>(holderOf('$1', '$2'), [queueId, seq]);
    return rows[0]?.run_at ?? null;
  }

  /** The job's own work, with nothing earlier holding its line: a failure holds the line, a `RunLater` keeps it held. */
  private async runInLine<P>(name: string, payload: OrderedPayload<P>, seq: string, context: OrderedContext, handler: JobHandler<P>): Promise<void> {
    try {
      await handler(payload, context);
    } catch (error) {
      if (error instanceof RunLater) {
        await this.putBackHolding(name, { ...payload, ...error.changes, [ORDER_SEQ]: seq }, context, error.runAt);
        return;
      }
      // The job's own failure is what graphile-worker must record, whatever happens to the hold.
      const line = context.isLastAttempt
        ? this.releaseLine(name, context)
        : this.pool.query(`INSERT INTO job_queue_holds (job_id, job_queue_id, seq) VALUES ($1, $2, $3) ON CONFLICT (job_id) DO UPDATE SET parked = false`, [
            context.jobId,
            context.queueId,
            seq,
          ]);
      await Promise.resolve(line).catch((holdError: Error) => this.logger.warn(`job ${context.jobId}: could not update its queue's line: ${holdError.message}`));
      throw error;
    }
    // Only a retried or put-back job can hold the line: a first run that succeeds costs nothing more.
    if (context.attempt > 1 || payload[ORDER_SEQ] !== undefined) await this.releaseLine(name, context);
  }

  /**
   * The job goes again at `runAt` in the same queue, and holds the line meanwhile (its new row
   * and hold replace this run's in one statement), so later jobs of the queue stay behind it.
   * Added without a NOTIFY: it is not due yet, and this instance wakes its pool when it is.
   * Put back (not parked) REST_FROM_MS or more ahead, the queue rests until then (`RESTING`):
   * nothing of it can run before, and no fetch need look at it. Answers the new job's id.
   */
  private async putBackHolding(
    name: string,
    payload: object & { [ORDER_SEQ]: string },
    context: OrderedContext,
    runAt: Date,
    { maxAttempts = attemptsLeft(context), parked = false }: { maxAttempts?: number; parked?: boolean } = {},
  ): Promise<string> {
    const rest = !parked && !!context.lockedBy && runAt.getTime() - Date.now() >= REST_FROM_MS;
    const { rows } = await this.pool.query(
      `WITH released AS (DELETE FROM job_queue_holds WHERE job_id = $7), ${restQueue({ queueId: '$5', runAt: '$3', lockedBy: '$9', rest: '$10' })}
       INSERT INTO job_queue_holds (job_id, job_queue_id, seq, parked)
       SELECT j.id, q.id, $6, $8
       FROM graphile_worker._private_job_queues q, LATERAL add_quiet_job($1, $2::json, q.queue_name, $3::timestamptz, $4::int) j(id)
       WHERE q.id = $5
       RETURNING job_id::text AS id`,
      [name, JSON.stringify(payload), runAt.toISOString(), maxAttempts, context.queueId, payload[ORDER_SEQ], context.jobId, parked, context.lockedBy ?? null, rest],
    );
    if (rest) {
      await parkLateJobs(this.pool, context.queueId).catch((error: Error) =>
        this.logger.warn(`job ${context.jobId}: could not park the jobs added while its queue was being rested: ${error.message}`),
      );
    }
    this.jobs.wakeAt(runAt, name, { rested: rest });
    return rows[0].id;
  }

  /**
   * Parks the job behind the earlier holder of its line: added again (holding its place) to run
   * PARKED_FOR_MS after the holder's run, unless the holder's release wakes it first. The holder
   * may have let go between the look for it and the parking, before the parked row existed to be
   * woken: so the parked job looks once more, and wakes itself if nothing earlier holds the line.
   * (A release frees the line and then, in a statement of its own, wakes the first parked job, so
   * one of the two always sees the other.)
   */
  private async park(name: string, payload: object & { [ORDER_SEQ]: string }, context: OrderedContext, holderRunAt: Date): Promise<void> {
    const jobId = await this.putBackHolding(name, payload, context, new Date(holderRunAt.getTime() + PARKED_FOR_MS), { maxAttempts: context.maxAttempts, parked: true });
    const { rowCount } = await this.pool.query(
      `UPDATE graphile_worker._private_jobs SET run_at = now()
       WHERE id = $1 AND locked_at IS NULL AND NOT EXISTS (SELECT 1 FROM ${LIVE_HOLDS} WHERE h.job_queue_id = $2 AND h.seq < $3)`,
      [jobId, context.queueId, payload[ORDER_SEQ]],
    );
    if (rowCount) this.jobs.wakeAt(new Date(), name);
  }

  /**
   * The job lets go of its queue's line; if the first job still holding it is parked behind it,
   * that one is woken now. Two statements, in this order, so that a job parking meanwhile either
   * is seen by the wake or sees the line free itself (see `park`).
   */
  private async releaseLine(name: string, context: OrderedContext): Promise<void> {
    await this.pool.query(`DELETE FROM job_queue_holds WHERE job_id = $1`, [context.jobId]);
    const { rowCount } = await this.pool.query(
      `WITH first AS (SELECT h.job_id, h.parked FROM ${LIVE_HOLDS} WHERE h.job_queue_id = $1 ORDER BY h.seq LIMIT 1)
       UPDATE graphile_worker._private_jobs j SET run_at = now()
       FROM first WHERE first.parked AND j.id = first.job_id AND j.locked_at IS NULL AND j.run_at > now()`,
      [context.queueId],
    );
    if (rowCount) this.jobs.wakeAt(new Date(), name);
  }
}
