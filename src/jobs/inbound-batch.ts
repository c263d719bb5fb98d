import type { Logger } from '@nestjs/common';
import type { EntityManager, QueryRunner } from 'typeorm';
import { groupBy } from '../common/group-by';

/** How one kind of inbound work is applied (see `InboundQueue.register`). */
export interface InboundKind<P> {
  /** Tries of one row before it is set aside for an operator; its lane then goes on. */
  maxAttempts: number;
  /**
   * Many rows' payloads (of many lanes, each lane's in order) in the caller's transaction. If it
   * throws, nothing of it stays and each row is applied with `applyAlone`. Without it, every row
   * is applied alone.
   */
  applyTogether?(manager: EntityManager, payloads: P[]): Promise<void>;
  /** One row's payload, in transactions of its own; a throw is the row's failure, retried with backoff. */
  applyAlone(payload: P): Promise<void>;
  /** Rows applied and committed. */
  applied?(payloads: P[]): void;
  /** A row that failed its last attempt, set aside. */
  gaveUp?(payload: P): void;
}

/** A row of `inbound_queue` a batch claimed. */
export interface ClaimedWork {
  id: string;
  kind: string;
  lane: string;
  payload: unknown;
  attempts: number;
}

interface FailedWork {
  row: ClaimedWork;
  error: string;
}

/** Applied rows go, in the transaction that applied them. */
const DELETE_APPLIED = `DELETE FROM inbound_queue WHERE id = ANY ($1::bigint[])`;

/**
 * Rows that failed: one more attempt counted, the error kept, the next try after graphile-worker's
 * backoff (`exp(min(attempts, 10))` s); out of attempts, the row is set aside (`dead`).
 */
const RECORD_FAILURES = `
  UPDATE inbound_queue q SET attempts = q.attempts + 1, last_error = f.error, dead = q.attempts + 1 >= q.max_attempts,
    next_attempt_at = now() + exp(least(q.attempts + 1, 10)) * interval '1 second'
  FROM unnest($1::bigint[], $2::text[]) AS f(id, error)
  WHERE q.id = f.id
  RETURNING q.id::text AS id, q.dead`;

/** Ends the runner's transaction (if any) and gives the connection back, whatever state it is in. */
export async function endTransaction(runner: QueryRunner, how: 'commit' | 'rollback'): Promise<void> {
  try {
    if (runner.isTransactionActive) await (how === 'commit' ? runner.commitTransaction() : runner.rollbackTransaction());
  } finally {
    await runner.release().catch(() => undefined);
  }
}

/**
 * Applies the rows a batch claimed in `runner`'s open transaction, kind by kind: together in a
 * savepoint if the kind can, else (or if that failed) each lane's rows alone, in order, a lane
 * stopping at its first failure. Then, in the claim's transaction, deletes what applied and
 * records what failed, commits, and tells the kinds. Rejects (the transaction rolled back, the
 * rows free to be claimed again) if the database failed under it.
 */
export async function applyBatch(runner: QueryRunner, claimed: ClaimedWork[], kinds: Map<string, InboundKind<unknown>>, logger: Logger): Promise<void> {
  const applied: ClaimedWork[] = [];
  const failed: FailedWork[] = [];
  let recorded: { id: string; dead: boolean }[] = [];
  try {
    for (const [kind, rows] of groupBy(claimed, (row) => row.kind)) {
      const handler = kinds.get(kind);
      if (!handler) {
        failed.push(...rows.map((row) => ({ row, error: `no inbound work ${kind} is registered` })));
        continue;
      }
      if (handler.applyTogether && (await appliedTogether(runner, handler, rows, logger))) applied.push(...rows);
      else await applyAlone(handler, rows, applied, failed);
    }
    if (applied.length > 0) await runner.query(DELETE_APPLIED, [applied.map((row) => row.id)]);
    if (failed.length > 0) recorded = await runner.query(RECORD_FAILURES, [failed.map(({ row }) => row.id), failed.map(({ error }) => error)]);
    await endTransaction(runner, 'commit');
  } catch (error) {
    await endTransaction(runner, 'rollback').catch(() => undefined);
    throw error;
  }
  report(kinds, logger, applied, failed, new Set(recorded.filter((row) => row.dead).map((row) => row.id)));
}

async function appliedTogether(runner: QueryRunner, handler: InboundKind<unknown>, rows: ClaimedWork[], logger: Logger): Promise<boolean> {
  await runner.query('SAVEPOINT together');
  try {
    await handler.applyTogether!(runner.manager, rows.map((row) => row.payload));
  } catch (error) {
    await runner.query('ROLLBACK TO SAVEPOINT together');
    logger.warn(`applying ${rows.length} inbound rows together failed (${(error as Error).message}): applying each alone`);
    return false;
  }
  await runner.query('RELEASE SAVEPOINT together');
  return true;
}

/** Each lane's rows one at a time, in order; a lane stops at its first failure (the rows behind it stay, and wait for its retry). */
async function applyAlone(handler: InboundKind<unknown>, rows: ClaimedWork[], applied: ClaimedWork[], failed: FailedWork[]): Promise<void> {
  await Promise.all(
    [...groupBy(rows, (row) => row.lane).values()].map(async (lane) => {
      for (const row of lane) {
        try {
          await handler.applyAlone(row.payload);
        } catch (error) {
          failed.push({ row, error: (error as Error)?.message ?? String(error) });
          return;
        }
        applied.push(row);
      }
    }),
  );
}

function report(kinds: Map<string, InboundKind<unknown>>, logger: Logger, applied: ClaimedWork[], failed: FailedWork[], dead: Set<string>): void {
  for (const [kind, rows] of groupBy(applied, (row) => row.kind)) kinds.get(kind)?.applied?.(rows.map((row) => row.payload));
  for (const { row, error } of failed) {
    const attempt = row.attempts + 1;
    if (dead.has(row.id)) {
      logger.error(`inbound ${row.kind} row ${row.id} (${row.lane}) failed its last attempt (${attempt}) and is set aside: ${error}`);
      kinds.get(row.kind)?.gaveUp?.(row.payload);
    } else {
      logger.warn(`inbound ${row.kind} row ${row.id} (${row.lane}) failed attempt ${attempt}, its lane waits for the retry: ${error}`);
    }
  }
}
