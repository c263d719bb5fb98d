import type { Nudgeable } from './job-nudges';

/** How long after a job of a named queue finished one idle worker of its pool looks for the queue's next job. */
const QUEUE_FREE_NUDGE_MS = 5;

/**
 * The timers that wake this instance's idle workers before their next poll, none of which fires
 * once shutdown has begun (graphile-worker refuses a nudge to a pool that has stopped).
 */
export class PoolWakeups {
  /** Every worker pool of the instance. */
  readonly pools: Nudgeable[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  /**
   * graphile-worker does not wait for a finished job's completion statement (which unlocks its
   * named queue) before its worker looks for the next job: that fetch finds the queue still
   * locked, and the queue's next job then waited for the next poll (a second in the quiet
   * groups) unless new work woke a worker. One idle worker of the pool looks again shortly
   * after, by when the completion has normally committed.
   */
  queueFreed(pool: Nudgeable): void {
    this.later(QUEUE_FREE_NUDGE_MS, () => pool.nudge(1));
  }

  /**
   * Idle workers find a job that became due by polling; a job this instance put back for later
   * wakes an idle worker of the pool that runs it (of every pool, when that is not known yet)
   * when it is due. Any other instance still finds it by polling.
   */
  at(runAt: Date, pool?: Nudgeable): void {
    this.later(runAt.getTime() - Date.now(), () => {
      for (const each of pool ? [pool] : this.pools) each.nudge(1);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(ms: number, wake: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) wake();
    }, Math.max(0, ms));
    timer.unref();
    this.timers.add(timer);
  }
}
