import type { Worker, WorkerPool } from 'graphile-worker';
import { IdleWorkers } from './idle-workers';

/** A stand-in for graphile-worker's worker: `nudge()` starts a fetch only when the worker waits for its poll. */
function worker(idle: boolean): Worker & { nudged: number } {
  const fake = { nudged: 0, nudge: () => (fake.nudged++, idle) };
  return fake as unknown as Worker & { nudged: number };
}

describe('IdleWorkers', () => {
  const pool = { id: 'pool' } as WorkerPool;

  it('wakes only workers whose last fetch found nothing, as many as asked', () => {
    const workers = new IdleWorkers(pool);
    const [busy, idleOne, idleTwo, idleThree] = [worker(false), worker(true), worker(true), worker(true)];
    workers.fetching(busy);
    for (const w of [idleOne, idleTwo, idleThree]) workers.foundNothing(w);

    workers.nudge(2);

    expect(busy.nudged).toBe(0);
    expect([idleOne, idleTwo, idleThree].map((w) => w.nudged)).toEqual([1, 1, 0]);
  });

  it('does not wake a worker twice before it has fetched again, nor one that runs a job or is gone', () => {
    const workers = new IdleWorkers(pool);
    const [first, second, gone] = [worker(true), worker(true), worker(true)];
    for (const w of [first, second, gone]) workers.foundNothing(w);
    workers.fetching(second);
    workers.running(second);
    workers.released(gone);

    workers.nudge(5);
    workers.nudge(5);

    expect([first.nudged, second.nudged, gone.nudged]).toEqual([1, 0, 0]);
  });

  it('wakes nobody while every worker runs a job (each looks again when its job is done)', () => {
    const workers = new IdleWorkers(pool);
    const running = worker(false);
    workers.fetching(running);
    workers.running(running);

    workers.nudge(3);

    expect(running.nudged).toBe(0);
  });

  it('tells a worker whose fetch is in flight to look again when too few are idle (its fetch may have missed the job)', () => {
    const workers = new IdleWorkers(pool);
    const [idle, fetching, otherFetching, running] = [worker(true), worker(false), worker(false), worker(false)];
    workers.foundNothing(idle);
    for (const w of [fetching, otherFetching, running]) workers.fetching(w);
    workers.running(running);

    workers.nudge(2);

    expect([idle.nudged, fetching.nudged, otherFetching.nudged, running.nudged]).toEqual([1, 1, 0, 0]);
  });
});
