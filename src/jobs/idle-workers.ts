import type { Worker, WorkerEvents, WorkerPool } from 'graphile-worker';
import type { Nudgeable } from './job-nudges';

/**
 * A graphile-worker pool woken through its idle workers only, one fetch at a time.
 *
 * Each graphile-worker fetch locks every available queue row (`FOR UPDATE SKIP LOCKED`) while it
 * runs, so fetches that run at the same time skip each other's queues and come back empty. Left
 * to graphile-worker, a new job woke a cascade of fetches (its `nudge(n)` marks every busy worker
 * it passes to look again), and every idle worker polled on its own timer: in the bench 73 % of
 * the send workers' woken fetches came back empty, nearly all of them beside another fetch, and
 * the 64 idle integrator workers made 64 fetches a second that locked the sends' queues too.
 *
 * Here a nudge is owed, and owed wakes are handed out one at a time: the next idle worker is woken
 * when the last one's fetch found a job. A woken fetch that found nothing with no other fetch
 * beside it found nothing because there was nothing left (other workers took the jobs alongside
 * theirs): the rest is forgiven. Workers running a job are left alone: each looks for a job as soon
 * as its own is done, and that fetch starts after the nudged job was committed. Only a worker
 * whose fetch is in flight may have looked before the job was there: when no worker is idle, such
 * a worker is told to look again once its fetch comes back empty. Polling is the pool's too
 * (`poll`): one fetch, then the next while fetches find jobs, rather than one per idle worker.
 */
export class IdleWorkers implements Nudgeable {
  /** Workers whose last fetch came back empty and that wait to be woken. */
  private readonly idle = new Set<Worker>();
  /** Workers whose fetch is in flight. */
  private readonly fetchingNow = new Set<Worker>();
  /** Wakes asked for and not handed out yet. */
  private owed = 0;
  /** Whether wakes go on while fetches find jobs (a poll: how many jobs wait is not known). */
  private searching = false;
  /** The worker woken last, while its fetch is in flight, and whether another fetch ran beside it. */
  private woken: { worker: Worker; beside: boolean } | undefined;

  constructor(readonly pool: WorkerPool) {}

  /** A worker starts a fetch: it is not idle, whatever the fetch finds. */
  fetching(worker: Worker): void {
    this.idle.delete(worker);
    if (this.woken && this.woken.worker !== worker) this.woken.beside = true;
    this.fetchingNow.add(worker);
  }

  /** A worker's fetch found a job: it runs it, and fetches again when it is done. */
  running(worker: Worker): void {
    this.fetchingNow.delete(worker);
    if (this.woken?.worker !== worker) return;
    this.woken = undefined;
    if (this.searching) this.owed = Math.max(this.owed, 1);
    this.wakeNext();
  }

  /** A worker's fetch found nothing (or failed): it waits to be woken. */
  foundNothing(worker: Worker): void {
    this.fetchingNow.delete(worker);
    this.idle.add(worker);
    if (this.woken?.worker !== worker) return;
    const { beside } = this.woken;
    this.woken = undefined;
    if (!beside) {
      this.owed = 0;
      this.searching = false;
    }
    this.wakeNext();
  }

  released(worker: Worker): void {
    this.idle.delete(worker);
    this.fetchingNow.delete(worker);
    if (this.woken?.worker !== worker) return;
    this.woken = undefined;
    this.wakeNext();
  }

  /** `count` jobs were added: wakes idle workers for them, one after another. */
  nudge(count: number): void {
    this.owed += count;
    this.wakeNext();
  }

  /** Looks for jobs nobody told this instance of (other instances', retries come due): one fetch, then more while they find jobs. */
  poll(): void {
    if (this.woken) return;
    this.searching = true;
    this.nudge(1);
  }

  private wakeNext(): void {
    if (this.woken) return;
    for (const worker of this.idle) {
      if (this.owed <= 0) return;
      this.idle.delete(worker);
      if (!nudged(worker)) continue;
      this.owed -= 1;
      // The woken worker's fetch has started: any other fetch in flight runs beside it.
      this.woken = { worker, beside: [...this.fetchingNow].some((other) => other !== worker) };
      return;
    }
    // No worker is idle: those running a job look when it is done; a fetch in flight may have
    // started before the jobs were committed, so its worker looks again if it finds nothing.
    for (const worker of this.fetchingNow) {
      if (this.owed <= 0) break;
      this.fetchingNow.delete(worker);
      nudged(worker);
      this.owed -= 1;
    }
    this.owed = 0;
    this.searching = false;
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
    events.on('worker:getJob:error', ({ worker }) => this.of(worker.workerPool)?.foundNothing(worker));
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
