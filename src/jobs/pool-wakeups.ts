import type { Pool } from 'pg';
import { GroupCommit } from './group-commit';
import type { Nudgeable } from './job-nudges';
import { endDueRests } from './resting-queues';

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
  /** Queues freed in the last QUEUE_FREE_NUDGE_MS, with the pool that ran their job. */
  private freed = new Map<number, Nudgeable>();
  private stopped = false;
  /** Rests that came due end in one statement for every timer that fires while one is in flight. */
  private readonly restsEnded = new GroupCommit<'due'>({
    write: async () => void (await endDueRests(this.pool)),
    maxItems: 10_000,
  });

  constructor(private readonly pool: Pool) {}

  /**
   * graphile-worker does not wait for a finished job's completion statement (which unlocks its
   * named queue) before its worker looks for the next job: that fetch finds the queue still
   * locked, and the queue's next job then waited for the next poll (a second in the quiet
   * groups) unless new work woke a worker. Shortly after, by when the completion has normally
   * committed, one idle worker of the pool looks again, if the freed queue has a job due (the
   * sends' queues, one per conversation, mostly hold one job): one read for all the queues freed
   * meanwhile, rather than a fetch (which locks every available queue row) for each, most of
   * which would find nothing.
   */
  queueFreed(pool: Nudgeable, queueId: number): void {
    if (this.freed.size === 0) this.later(QUEUE_FREE_NUDGE_MS, () => void this.wakeForFreed());
    this.freed.set(queueId, pool);
  }

  /** Which of these named queues have a job due now (`jobs_by_queue_index`). */
  private async dueQueues(queueIds: number[]): Promise<Set<number>> {
    const { rows } = await this.pool.query<{ id: number }>(
      `SELECT DISTINCT job_queue_id AS id FROM graphile_worker._private_jobs WHERE job_queue_id = ANY($1::int[]) AND is_available AND run_at <= now()`,
      [queueIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  private async wakeForFreed(): Promise<void> {
    const freed = this.freed;
    this.freed = new Map();
    const due = await this.dueQueues([...freed.keys()]).catch(() => new Set(freed.keys()));
    if (this.stopped) return;
    const wake = new Map<Nudgeable, number>();
    for (const [queueId, pool] of freed) if (due.has(queueId)) wake.set(pool, (wake.get(pool) ?? 0) + 1);
    for (const [pool, count] of wake) pool.nudge(count);
  }

  /**
   * Idle workers find a job that became due by polling; a job this instance put back for later
   * wakes an idle worker of the pool that runs it (of every pool, when that is not known yet)
   * when it is due. Any other instance still finds it by polling. With `rested`, the job's queue
   * rests until then (`RESTING`): the rest is ended first.
   */
  at(runAt: Date, pool?: Nudgeable, { rested = false }: { rested?: boolean } = {}): void {
    this.later(runAt.getTime() - Date.now(), async () => {
      if (rested) await this.restsEnded.add(['due']).catch(() => undefined);
      if (this.stopped) return;
      for (const each of pool ? [pool] : this.pools) each.nudge(1);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(ms: number, wake: () => void | Promise<void>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) void wake();
    }, Math.max(0, ms));
    timer.unref();
    this.timers.add(timer);
  }
}
