import type { IdleWorkers } from './idle-workers';

/**
 * The isolated groups (sends, media) are woken for each of their jobs
 * (`JobNudges`), so polling only finds their retries that came due and other instances' jobs. It
 * is done by the pool, one fetch at a time (`IdleWorkers.poll`): polling on their own, their
 * hundred-odd idle workers made about a hundred fetches a second, each of which locks every
 * available queue row and so made the sends' own fetches come back empty.
 */
const POOL_POLL_INTERVAL_MS = 250;
/**
 * How often the rows of queues left without jobs are deleted (`deleteIdleQueues`): each fetch
 * locks every available queue row, so with sends spread over many conversations a fetch costs
 * in proportion to the conversations that had a send lately (every 5 s, a fetch took twice as
 * long; every 300 ms, no better than every second).
 */
const IDLE_QUEUES_EVERY_MS = 1000;

/** How often an instance ends the queues' rests that came due, whichever instance began them (one that died cannot). */
const DUE_RESTS_EVERY_MS = 1000;

export interface JobQueueTimerWork {
  deleteIdleQueues: () => Promise<number>;
  endDueRests: () => Promise<number>;
  /** The isolated groups' pools, polled by the pool rather than by each idle worker. */
  isolatedPools: IdleWorkers[];
  stopping: () => boolean;
  warn: (message: string) => void;
}

/** The job queue's periodic work on an instance, once its workers run: idle queue rows deleted, due rests ended, isolated pools polled. */
export class JobQueueTimers {
  private readonly timers: NodeJS.Timeout[] = [];

  start(work: JobQueueTimerWork): void {
    this.every(IDLE_QUEUES_EVERY_MS, () => void work.deleteIdleQueues().catch((error: Error) => work.warn(`deleting idle job queues failed: ${error.message}`)));
    this.every(DUE_RESTS_EVERY_MS, () => void work.endDueRests().catch((error: Error) => work.warn(`ending the job queues' due rests failed: ${error.message}`)));
    this.every(POOL_POLL_INTERVAL_MS, () => {
      if (!work.stopping()) for (const pool of work.isolatedPools) pool.poll();
    });
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  private every(ms: number, tick: () => void): void {
    const timer = setInterval(tick, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
