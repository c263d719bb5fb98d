import type { Pool } from 'pg';
import type { Nudgeable } from './job-nudges';
import { PoolWakeups } from './pool-wakeups';
import { RESTING } from './resting-queues';

/** A stand-in for pg's pool that records each statement and answers it after `answerMs`. */
function database(answerMs = 0) {
  const log: string[] = [];
  const pool = {
    query: async (sql: string) => {
      log.push(sql.includes(RESTING) ? 'end rests' : sql);
      await new Promise((resolve) => setTimeout(resolve, answerMs));
      return { rowCount: 0, rows: [] };
    },
  };
  return { pool: pool as unknown as Pool, log };
}

function workerPool(log: string[], name: string): Nudgeable {
  return { nudge: (count) => log.push(`nudge ${name} ${count}`) };
}

const soon = (ms: number) => new Date(Date.now() + ms);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PoolWakeups', () => {
  let wakeups: PoolWakeups | undefined;
  afterEach(() => wakeups?.stop());

  it("ends the queues' due rests before it wakes the pool of a job whose queue rested", async () => {
    const { pool, log } = database(5);
    wakeups = new PoolWakeups(pool);
    wakeups.at(soon(10), workerPool(log, 'sends'), { rested: true });
    await sleep(60);
    expect(log).toEqual(['end rests', 'nudge sends 1']);
  });

  it('wakes the pool of a job put back without a rest at once, with no statement', async () => {
    const { pool, log } = database();
    wakeups = new PoolWakeups(pool);
    wakeups.at(soon(10), workerPool(log, 'sends'));
    await sleep(40);
    expect(log).toEqual(['nudge sends 1']);
  });

  it('ends the rests of wakes that come due while a statement is in flight in one more statement', async () => {
    const { pool, log } = database(30);
    wakeups = new PoolWakeups(pool);
    const sends = workerPool(log, 'sends');
    wakeups.at(soon(5), sends, { rested: true });
    for (const ms of [15, 16, 17]) wakeups.at(soon(ms), sends, { rested: true });
    await sleep(120);
    // The first wake's own statement, then one for the three that came due while it was in flight.
    expect(log.filter((entry) => entry === 'end rests')).toHaveLength(2);
    expect(log.filter((entry) => entry === 'nudge sends 1')).toHaveLength(4);
    expect(log[0]).toBe('end rests');
  });

  it('still wakes the pool when the rests could not be ended (the periodic look ends them)', async () => {
    const log: string[] = [];
    const failing = { query: async () => Promise.reject(new Error('the database is away')) } as unknown as Pool;
    wakeups = new PoolWakeups(failing);
    wakeups.at(soon(5), workerPool(log, 'sends'), { rested: true });
    await sleep(40);
    expect(log).toEqual(['nudge sends 1']);
  });

  it('wakes nothing once stopped, rested or not', async () => {
    const { pool, log } = database();
    wakeups = new PoolWakeups(pool);
    wakeups.at(soon(10), workerPool(log, 'sends'), { rested: true });
    wakeups.at(soon(10), workerPool(log, 'media'));
    wakeups.stop();
    await sleep(40);
    expect(log).toEqual([]);
  });
});
