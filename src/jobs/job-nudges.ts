import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Notification, PoolClient } from 'pg';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import type { IdleWorkers } from './idle-workers';

export interface Nudgeable {
  nudge(count: number): void;
}

/**
 * Wakes the isolated worker groups (sends, media) only for their own jobs.
 *
 * graphile-worker tells every worker pool of every job added (one `jobs:insert` channel), and
 * each pool wakes as many idle workers as jobs were added, to look for one: with four pools, the
 * idle sends, media and delivery workers made three job fetches in vain for every inbound job
 * (and each fetch locks the queue rows). So those pools do not listen: whoever adds their jobs
 * through `JobQueue` wakes them here once the jobs are committed. Jobs added by another instance
 * (and retries that come due) are found by polling.
 *
 * The main (inbound) pool keeps listening, though it hears other groups' jobs added through
 * graphile-worker's `add_job`: woken only for its own jobs, its workers sat idle more often while
 * inbound jobs waited behind a busy queue, and webhook → socket p99 at 500 events/s went from
 * about 115 ms to 160 ms. Sends and jobs put back for later are added without a notification
 * (`add_quiet_job`), so it does not hear of those; nor of the webhook's own jobs
 * (`add_quiet_jobs`), whose instance wakes its inbound workers once they are committed
 * (`JobQueue.wakeCommitted`), while other instances find them by polling. Every pool is woken
 * through `IdleWorkers`.
 */
@Injectable()
export class JobNudges implements EntitySubscriberInterface {
  private readonly quietPoolIds = new Set<string>();
  private readonly pending = new WeakMap<QueryRunner, Map<Nudgeable, number>>();
  /** Set when the job queue shuts down: graphile-worker refuses a nudge to a pool that has stopped. */
  private stopped = false;

  constructor(@InjectDataSource() dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  /** A pool that wakes only when told (`afterCommit`), never on another group's new jobs. */
  quiet(poolId: string): void {
    this.quietPoolIds.add(poolId);
  }

  /**
   * Called whenever a pool's LISTEN connection is (re)established, just before graphile-worker
   * attaches its notification handler and sends LISTEN. Right after, that handler is taken off:
   * a quiet pool ignores new jobs (the connection still listens; what it hears goes nowhere), and
   * any other pool hears of them through `pool`, which wakes idle workers only. Other
   * notifications (a breaking schema migration) still reach graphile-worker's handler.
   */
  onListening(pool: IdleWorkers, client: PoolClient): void {
    const quiet = this.quietPoolIds.has(pool.pool.id);
    setImmediate(() => {
      const graphile = client.listeners('notification') as ((message: Notification) => void)[];
      client.removeAllListeners('notification');
      client.on('notification', (message: Notification) => {
        if (message.channel !== 'jobs:insert') return graphile.forEach((listener) => listener(message));
        if (quiet || this.stopped) return;
        const count = countOf(message.payload);
        if (count > 0) pool.nudge(count);
      });
    });
  }

  /** No more nudges: the pools are stopping. */
  stop(): void {
    this.stopped = true;
  }

  /** Wakes up to `count` workers of `pool` once `manager`'s transaction commits (at once without one). */
  afterCommit(manager: EntityManager | undefined, pool: Nudgeable, count: number): void {
    if (this.stopped) return;
    const runner = manager?.queryRunner;
    if (!runner?.isTransactionActive) return pool.nudge(count);
    const pending = this.pending.get(runner) ?? new Map<Nudgeable, number>();
    pending.set(pool, (pending.get(pool) ?? 0) + count);
    this.pending.set(runner, pending);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint is announced as a commit too: only the outermost one counts.
    if (event.queryRunner.isTransactionActive) return;
    const pending = this.pending.get(event.queryRunner);
    if (!pending) return;
    this.pending.delete(event.queryRunner);
    if (this.stopped) return;
    for (const [pool, count] of pending) pool.nudge(count);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}

/** How many jobs a `jobs:insert` notification announces (graphile-worker sends `{"count": n}`). */
function countOf(payload: string | undefined): number {
  try {
    const count = Number((JSON.parse(payload ?? '{}') as { count?: unknown }).count ?? 1);
    return Number.isFinite(count) ? count : 1;
  } catch {
    return 1;
  }
}
