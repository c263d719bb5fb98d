import { EventEmitter } from 'node:events';
import type { Worker, WorkerEvents, WorkerPool } from 'graphile-worker';
import { IdleWorkerPools, IdleWorkers } from './idle-workers';

type FakeWorker = Worker & { nudged: number };

/**
 * A stand-in for graphile-worker's worker: `nudge()` starts a fetch (announced at once, as
 * graphile-worker does) only when the worker waits to be woken; otherwise it answers false.
 */
function worker(workers: IdleWorkers, idle = true): FakeWorker {
  const fake = {
    nudged: 0,
    nudge: () => {
      fake.nudged++;
      if (idle) workers.fetching(fake as unknown as Worker);
      return idle;
    },
  };
  return fake as unknown as FakeWorker;
}

/** Workers whose last fetch found nothing. */
function idleWorkers(workers: IdleWorkers, count: number): FakeWorker[] {
  return Array.from({ length: count }, () => {
    const w = worker(workers);
    workers.foundNothing(w);
    return w;
  });
}

const nudges = (ws: FakeWorker[]) => ws.map((w) => w.nudged);

describe('IdleWorkers', () => {
  const pool = { id: 'pool' } as WorkerPool;

  it('wakes idle workers one at a time: the next when the last one found a job', () => {
    const workers = new IdleWorkers(pool);
    const ws = idleWorkers(workers, 4);

    workers.nudge(3);
    expect(nudges(ws)).toEqual([1, 0, 0, 0]);

    workers.running(ws[0]);
    expect(nudges(ws)).toEqual([1, 1, 0, 0]);
    workers.running(ws[1]);
    workers.running(ws[2]);
    expect(nudges(ws)).toEqual([1, 1, 1, 0]);
  });

  it('forgets the wakes still owed when a woken worker found nothing with no other fetch beside it (the jobs were taken)', () => {
    const workers = new IdleWorkers(pool);
    const ws = idleWorkers(workers, 3);

    workers.nudge(3);
    workers.foundNothing(ws[0]);
    workers.nudge(1);

    expect(nudges(ws)).toEqual([1, 1, 0]);
  });

  it('goes on waking when a woken worker found nothing while another fetch ran beside it (that fetch may have hidden the jobs)', () => {
    const workers = new IdleWorkers(pool);
    const [first, second, third, other] = idleWorkers(workers, 4);

    workers.nudge(2);
    workers.fetching(other);
    workers.foundNothing(first);
    expect(nudges([first, second, third])).toEqual([1, 1, 0]);

    workers.foundNothing(other);
    workers.foundNothing(second);
    expect(nudges([first, second, third])).toEqual([1, 1, 0]);
  });

  it('counts a fetch already in flight when a worker is woken as beside it', () => {
    const workers = new IdleWorkers(pool);
    const [first, second] = idleWorkers(workers, 2);
    const busy = worker(workers, false);
    workers.fetching(busy);

    workers.nudge(2);
    workers.foundNothing(first);

    expect(nudges([first, second])).toEqual([1, 1]);
  });

  it('does not wake a worker twice before it has fetched again, nor one that runs a job or is gone', () => {
    const workers = new IdleWorkers(pool);
    const [first, second, gone] = idleWorkers(workers, 3);
    workers.fetching(second);
    workers.running(second);
    workers.released(gone);

    workers.nudge(5);
    workers.nudge(5);

    expect(nudges([first, second, gone])).toEqual([1, 0, 0]);
  });

  it('wakes nobody while every worker runs a job (each looks again when its job is done)', () => {
    const workers = new IdleWorkers(pool);
    const running = worker(workers, false);
    workers.fetching(running);
    workers.running(running);

    workers.nudge(3);

    expect(running.nudged).toBe(0);
  });

  it('tells workers whose fetch is in flight to look again when none is idle (their fetch may have missed the jobs), and owes nothing after', () => {
    const workers = new IdleWorkers(pool);
    const [fetching, otherFetching, third] = [worker(workers, false), worker(workers, false), worker(workers, false)];
    for (const w of [fetching, otherFetching, third]) workers.fetching(w);

    workers.nudge(2);
    expect(nudges([fetching, otherFetching, third])).toEqual([1, 1, 0]);

    const idle = worker(workers);
    workers.foundNothing(idle);
    workers.running(third);
    expect(idle.nudged).toBe(0);
  });

  it('passes over a worker that refuses a nudge (it stopped meanwhile)', () => {
    const workers = new IdleWorkers(pool);
    const stopped = { nudged: 0, nudge: () => { throw new Error('nudge called after worker terminated'); } } as unknown as FakeWorker;
    workers.foundNothing(stopped);
    const [next] = idleWorkers(workers, 1);

    workers.nudge(1);

    expect(next.nudged).toBe(1);
  });

  it('polls with one fetch, and fetches again while fetches find jobs', () => {
    const workers = new IdleWorkers(pool);
    const ws = idleWorkers(workers, 4);

    workers.poll();
    expect(nudges(ws)).toEqual([1, 0, 0, 0]);
    workers.poll();
    expect(nudges(ws)).toEqual([1, 0, 0, 0]);

    workers.running(ws[0]);
    workers.running(ws[1]);
    expect(nudges(ws)).toEqual([1, 1, 1, 0]);
    workers.foundNothing(ws[2]);
    expect(nudges(ws)).toEqual([1, 1, 1, 0]);
  });

  it('keeps the pools up to date from graphile-worker events: a failed fetch leaves its worker idle', () => {
    const events = new EventEmitter() as WorkerEvents;
    const pools = new IdleWorkerPools(events);
    const workers = pools.add(pool);
    const failing = worker(workers);
    Object.assign(failing, { workerPool: pool });

    events.emit('worker:getJob:start', { worker: failing } as never);
    events.emit('worker:getJob:error', { worker: failing, error: new Error('connection lost') } as never);
    workers.nudge(1);

    expect(failing.nudged).toBe(1);
  });
});
