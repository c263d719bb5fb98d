import type { Job, Runner, TaskList } from 'graphile-worker';
import type { Pool } from 'pg';
import type { IdleWorkers } from './idle-workers';

/** Where an ordered job put back behind an earlier one keeps its place: the id of the job it was first added as. */
export const ORDER_SEQ = 'orderSeq';

/**
 * A job parked behind an earlier holder of its queue's line is woken when that one lets go; if
 * nothing wakes it, it looks again this long after the holder's own run (the holder's instance
 * died between freeing the line and waking it).
 */
export const PARKED_FOR_MS = 60_000;

/** The holds of queues' lines whose job still lives (runs, or will run again): `h` the hold, `j` its job. */
export const LIVE_HOLDS = `job_queue_holds h JOIN graphile_worker._private_jobs j ON j.id = h.job_id AND (j.locked_at IS NOT NULL OR j.attempts < j.max_attempts)`;

/**
 * When the earliest-running live hold on queue `queue` ahead of `seq` runs (not before now), or
 * no row: the job of `seq` must wait behind that holder.
 */
export const holderOf = (queue: string, seq: string) =>
  `SELECT greatest(j.run_at, now()) AS run_at FROM ${LIVE_HOLDS} WHERE h.job_queue_id = ${queue} AND h.seq < ${seq} ORDER BY j.run_at DESC LIMIT 1`;

export interface JobContext {
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  isLastAttempt: boolean;
}

/** Other queues' jobs an ordered job runs alongside itself (`RegisterOptions.alongside`). */
export interface Alongside {
  queuesStartingWith: string;
  max: number;
}

export type JobHandler<P> = (payload: P, context: JobContext) => Promise<void>;

export interface RegisterOptions {
  /**
   * Jobs of one named queue apply in the order they were added even across retries: while an
   * earlier job of the queue waits for its retry, a later one is put back behind it (without
   * using up its attempts). graphile-worker alone unlocks the queue when a job fails.
   */
  ordered?: boolean;
  /**
   * With `ordered`: a job on its first run, with nothing holding its line, also claims up to `max`
   * jobs of its kind that are next in line in other queues of the `queuesStartingWith` prefix,
   * and runs them alongside itself, each in its own line (completed, failed, put back or held on
   * its own), instead of a worker fetching each one.
   */
  alongside?: Alongside;
}

/**
 * Thrown by a handler that cannot go on now without waiting (its rate-limit slot is later): the
 * job ends here and is added again to run at `runAt` with `changes` merged into its payload, so
 * the wait holds no worker. In an ordered queue it keeps its place and the line stays held
 * behind it; the attempts it has left carry over.
 */
export class RunLater extends Error {
  constructor(
    readonly runAt: Date,
    readonly changes: Record<string, unknown> = {},
  ) {
    super(`run again at ${runAt.toISOString()}`);
  }
}

export function contextOf({ id, attempts, max_attempts }: Pick<Job, 'id' | 'attempts' | 'max_attempts'>): JobContext {
  return { jobId: id, attempt: attempts, maxAttempts: max_attempts, isLastAttempt: attempts >= max_attempts };
}

/** Putting a job back is not a failure: the new job gets the attempts this one had left. */
export function attemptsLeft(context: JobContext): number {
  return Math.max(1, context.maxAttempts - context.attempt + 1);
}

/** A worker group of its own (sends, media): its tasks, workers and pools. */
export interface IsolatedGroup {
  tasks: TaskList;
  concurrency: number;
  pool?: Pool;
  runner?: Runner;
  /** graphile-worker's pool of the group, to wake its workers (`JobNudges`) and poll. */
  workerPool?: IdleWorkers;
}
