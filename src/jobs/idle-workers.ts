import type { Worker, WorkerPool } from 'graphile-worker';
import type { Nudgeable } from './job-nudges';

/**
 * A graphile-worker pool woken through its idle workers only.
 *
 * graphile-worker's own `nudge(n)` walks the pool's workers in order until it has woken `n` idle
 * ones, and marks every busy worker it passes to look again at once after its next fetch: in a
 * busy pool one new job made a cascade of fetches in vain (82 % of the send workers' fetches came
 * back empty in the bench), each of which locks every available queue row. Here a nudge wakes
 * idle workers and leaves busy ones alone: a busy worker looks for a job as soon as its own job
 * is done anyway.
 */
export class IdleWorkers implements Nudgeable {
  /** Workers whose last fetch came back empty and that wait for their next poll. */
  private readonly idle = new Set<Worker>();

  constructor(readonly pool: WorkerPool) {}

  /** A worker starts a fetch: it is not idle, whatever the fetch finds. */
  fetching(worker: Worker): void {
    this.idle.delete(worker);
  }

  /** A worker's fetch found nothing: it waits for its next poll (or looks again at once, when graphile-worker told it to). */
  foundNothing(worker: Worker): void {
    this.idle.add(worker);
  }

  released(worker: Worker): void {
    this.idle.delete(worker);
  }

  /** Wakes up to `count` idle workers to look for a job. */
  nudge(count: number): void {
    for (const worker of this.idle) {
      if (count <= 0) return;
      this.idle.delete(worker);
      if (worker.nudge()) count -= 1;
    }
  }
}
