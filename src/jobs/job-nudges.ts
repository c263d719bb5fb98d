import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

interface Nudgeable {
  nudge(count: number): void;
}

/**
 * Wakes the isolated worker groups (sends, media, integrator deliveries) only for their own jobs.
 *
 * graphile-worker tells every worker pool of every job added (one `jobs:insert` channel), and
 * each pool wakes as many idle workers as jobs were added, to look for one: with four pools, the
 * idle sends, media and delivery workers made three job fetches in vain for every inbound job
 * (and each fetch locks the queue rows). So those pools do not listen: whoever adds their jobs
 * through `JobQueue` wakes them here once the jobs are committed. Jobs added by another instance
 * (and retries that come due) are found by polling.
 */
@Injectable()
export class JobNudges implements EntitySubscriberInterface {
  private readonly pools = new Map<string, Nudgeable>();
  private readonly quietPoolIds = new Set<string>();
  private readonly pending = new WeakMap<QueryRunner, Map<string, number>>();

  constructor(@InjectDataSource() dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  /** The pool of a worker group that wakes only when told. */
  addQuietPool(group: string, pool: Nudgeable & { id: string }): void {
    this.pools.set(group, pool);
    this.quietPoolIds.add(pool.id);
  }

  /**
   * Called whenever a pool's LISTEN connection is (re)established, just before graphile-worker
   * attaches its notification handler and sends LISTEN: a quiet pool's handler is taken off
   * right after (the connection still listens; what it hears goes nowhere).
   */
  onListening(poolId: string, client: PoolClient): void {
    if (this.quietPoolIds.has(poolId)) setImmediate(() => client.removeAllListeners('notification'));
  }

  /** Wakes up to `count` workers of each group once `manager`'s transaction commits (at once without one). */
  afterCommit(manager: EntityManager | undefined, counts: Map<string, number>): void {
    const runner = manager?.queryRunner;
    if (!runner?.isTransactionActive) return this.nudge(counts);
    const pending = this.pending.get(runner) ?? new Map<string, number>();
    for (const [group, count] of counts) pending.set(group, (pending.get(group) ?? 0) + count);
    this.pending.set(runner, pending);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint is announced as a commit too: only the outermost one counts.
    if (event.queryRunner.isTransactionActive) return;
    const pending = this.pending.get(event.queryRunner);
    if (!pending) return;
    this.pending.delete(event.queryRunner);
    this.nudge(pending);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }

  private nudge(counts: Map<string, number>): void {
    for (const [group, count] of counts) if (count > 0) this.pools.get(group)?.nudge(count);
  }
}
