import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Notification, PoolClient } from 'pg';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

export interface Nudgeable {
  nudge(count: number): void;
}

/**
 * Wakes the worker groups (sends, media) only for their own jobs.
 *
 * graphile-worker tells every worker pool of every job added (one `jobs:insert` channel), and
 * each pool wakes as many idle workers as jobs were added, to look for one: with several pools,
 * idle workers made fetches in vain for every job of another group (and each fetch locks the
 * queue rows). So the pools do not act on that channel: whoever adds their jobs through
 * `JobQueue` wakes them here once the jobs are committed. Jobs added by another instance (and
 * retries that come due) are found by polling. Every pool is woken through `IdleWorkers`.
 */
@Injectable()
export class JobNudges implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, Map<Nudgeable, number>>();
  /** Set when the job queue shuts down: graphile-worker refuses a nudge to a pool that has stopped. */
  private stopped = false;

  constructor(@InjectDataSource() dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  /**
   * Called whenever a pool's LISTEN connection is (re)established, just before graphile-worker
   * attaches its notification handler and sends LISTEN. Right after, that handler is taken off
   * for new jobs: the pool wakes only when told (`afterCommit`), never on another group's new
   * jobs (the connection still listens; what it hears goes nowhere). Other notifications (a
   * breaking schema migration) still reach graphile-worker's handler.
   */
  onListening(client: PoolClient): void {
    setImmediate(() => {
      const graphile = client.listeners('notification') as ((message: Notification) => void)[];
      client.removeAllListeners('notification');
      client.on('notification', (message: Notification) => {
        if (message.channel !== 'jobs:insert') graphile.forEach((listener) => listener(message));
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
