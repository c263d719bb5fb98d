import type { Worker, WorkerEvents, WorkerPool } from 'graphile-worker';
import type { Nudgeable } from './job-nudges';

/**
 * A graphile-worker pool woken through its idle workers only.
 *
 * graphile-worker's own `nudge(n)` walks the pool's workers in order until it has woken `n` idle
 * ones, and marks every busy worker it passes to look again at once after its next fetch: in a
 * busy pool one new job made a cascade of fetches in vain (82 % of the send workers' fetches came
 * back empty in the bench), each of which locks every available queue row. Here a nudge wakes
 * idle workers and leaves workers running a job alone: such a worker looks for a job as soon as
 * its own is done anyway, and that fetch starts after the nudged job was committed. Only a worker
 * whose fetch is in flight may have looked before the job was there: when too few workers are
 * idle, such a worker is told to look again once its fetch comes back empty.
 */
export class IdleWorkers implements Nudgeable {
  /** Workers whose last fetch came back empty and that wait for their next poll. */
  private readonly idle = new Set<Worker>();
  /** Workers whose fetch is in flight. */
  private readonly fetchingNow = new Set<Worker>();

  constructor(readonly pool: WorkerPool) {}

  /** A worker starts a fetch: it is not idle, whatever the fetch finds. */
  fetching(worker: Worker): void {
    this.idle.delete(worker);
    this.fetchingNow.add(worker);
  }

  /** A worker's fetch found a job: it runs it, and fetches again when it is done. */
  running(worker: Worker): void {
    this.fetchingNow.delete(worker);
  }

  /** A worker's fetch found nothing: it waits for its next poll (or looks again at once, when it was told to). */
  foundNothing(worker: Worker): void {
    this.fetchingNow.delete(worker);
    this.idle.add(worker);
  }

  released(worker: Worker): void {
    this.idle.delete(worker);
    this.fetchingNow.delete(worker);
  }

  /** Wakes up to `count` idle workers to look for a job; for the rest, workers fetching now look again after. */
  nudge(count: number): void {
    for (const worker of this.idle) {
      if (count <= 0) return;
      this.idle.delete(worker);
      if (nudged(worker)) count -= 1;
    }
    for (const worker of this.fetchingNow) {
      if (count <= 0) return;
      // graphile-worker's nudge of a busy worker: fetch again at once if this fetch finds nothing.
      this.fetchingNow.delete(worker);
      nudged(worker);
      count -= 1;
    }
  }
}

/** A worker that stopped meanwhile refuses a nudge (it throws): it just does not count. */
function nudged(worker: Worker): boolean {
  try {
    return worker.nudge();
  } catch {
    return false;
  }
}

/** The IdleWorkers of each of an instance's worker pools, kept up to date from graphile-worker's events. */
export class IdleWorkerPools {
  private readonly pools = new Map<WorkerPool, IdleWorkers>();

  constructor(events: WorkerEvents) {
    events.on('worker:getJob:start', ({ worker }) => this.of(worker.workerPool)?.fetching(worker));
    events.on('worker:getJob:empty', ({ worker }) => this.of(worker.workerPool)?.foundNothing(worker));
    events.on('job:start', ({ worker }) => this.of(worker.workerPool)?.running(worker));
    events.on('worker:release', ({ worker }) => this.of(worker.workerPool)?.released(worker));
  }

  /** A pool graphile-worker just created. */
  add(workerPool: WorkerPool): IdleWorkers {
    const pool = new IdleWorkers(workerPool);
    this.pools.set(workerPool, pool);
    return pool;
  }

  of(workerPool: WorkerPool): IdleWorkers | undefined {
    return this.pools.get(workerPool);
  }
}
