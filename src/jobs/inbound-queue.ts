import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { ClaimLoop } from '../common/claim-loop';
import { AppConfig } from '../config/app-config';
import { isStatementRefusal, surviveConnectionLoss } from '../database/pool-errors';
import { PreparingClient } from '../database/prepared-statements';
import { Metrics } from '../metrics/metrics.service';
import { GroupCommit } from './group-commit';

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

/** A unit of inbound work: its kind, the lane it keeps its order in (a conversation, a post), and what to apply. */
export interface NewInboundWork<P = unknown> {
  kind: string;
  lane: string;
  payload: P;
}

interface SerializedWork {
  kind: string;
  lane: string;
  json: string;
  maxAttempts: number;
}

interface ClaimedWork {
  id: string;
  kind: string;
  lane: string;
  payload: unknown;
  attempts: number;
}

/** The most rows one batch claims and applies in one transaction: few commits for a backlog, a short transaction still. */
export const INBOUND_BATCH_ROWS = 200;

/** How many of the oldest due rows a claim looks among for lanes' first rows. */
const CLAIM_CANDIDATES = 4 * INBOUND_BATCH_ROWS;

/** How often an instance looks for due rows without being woken: retries falling due, work another instance stored. */
export const INBOUND_POLL_MS = 200;

/** Big enough that a burst shares few commits, small enough that one statement stays short. */
const MAX_ROWS_PER_STATEMENT = 500;
const MAX_CHARS_PER_STATEMENT = 4 * 1024 * 1024;

/** Rows in caller order (ids follow the array's order). */
const ADD_WORK = `
  INSERT INTO inbound_queue (kind, lane, payload, max_attempts)
  SELECT kind, lane, payload::json, max_attempts
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS w(kind, lane, payload, max_attempts, n)
  ORDER BY n`;

/** The advisory-lock class of inbound lanes: a batch holds its lanes' locks (class, hash of the lane) until it ends. */
const LANE_LOCK_CLASS = 726_375;

/**
 * The first live rows of lanes, due, up to `INBOUND_BATCH_ROWS`, for the claiming transaction.
 * Among the `CLAIM_CANDIDATES` oldest due rows of lanes not waiting for a retry, the lanes whose
 * first live row is among them, in the order of that row, as many as fill the batch, each taken
 * only if no other batch holds it (`pg_try_advisory_xact_lock`, held until this batch ends), so
 * batches and instances pass over each other's lanes instead of queueing behind them. Their rows
 * are locked (a row another batch deleted meanwhile is passed over), and a row is taken only if
 * no earlier live row of its lane exists outside this claim.
 *
 * Without parameters, so it is planned at each claim (not prepared): the table's size swings
 * from empty to tens of thousands of rows within seconds, faster than its statistics follow, and
 * a plan made while it was nearly empty (a scan of the table for each lane) took 150–210 ms a
 * claim at 40,000 rows, so a backlog slowed its own draining.
 */
const CLAIM = `
  WITH candidates AS MATERIALIZED (
    SELECT q.id, q.lane FROM inbound_queue q
    WHERE NOT q.dead AND q.next_attempt_at <= now()
      AND q.lane <> ALL (ARRAY(SELECT r.lane FROM inbound_queue r WHERE r.attempts > 0 AND NOT r.dead AND r.next_attempt_at > now()))
    ORDER BY q.id LIMIT ${CLAIM_CANDIDATES}
  ), firsts AS MATERIALIZED (
    SELECT f.lane, f.first, sum(f.n) OVER (ORDER BY f.first) - f.n AS before
    FROM (SELECT lane, min(id) AS first, count(*) AS n FROM candidates GROUP BY lane) f
    WHERE NOT EXISTS (SELECT 1 FROM inbound_queue e WHERE e.lane = f.lane AND NOT e.dead AND e.id < f.first)
  ), lanes AS MATERIALIZED (
    SELECT lane FROM firsts
    WHERE CASE WHEN before < ${INBOUND_BATCH_ROWS} THEN pg_try_advisory_xact_lock(${LANE_LOCK_CLASS}, hashtext(lane)) ELSE false END
  ), picked AS MATERIALIZED (
    SELECT c.id FROM candidates c JOIN lanes l ON l.lane = c.lane ORDER BY c.id LIMIT ${INBOUND_BATCH_ROWS}
  ), locked AS MATERIALIZED (
    SELECT q.id FROM inbound_queue q WHERE q.id = ANY (ARRAY(SELECT id FROM picked)) AND NOT q.dead FOR UPDATE SKIP LOCKED
  )
  SELECT q.id::text AS id, q.kind, q.lane, q.payload, q.attempts
  FROM inbound_queue q JOIN locked l ON l.id = q.id
  WHERE NOT EXISTS (SELECT 1 FROM inbound_queue e WHERE e.lane = q.lane AND NOT e.dead AND e.id < q.id AND e.id NOT IN (SELECT id FROM locked))
  ORDER BY q.id`;

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

/**
 * Inbound work, stored by the webhook before it answers and applied in batches: the rows of
 * `inbound_queue` are the queue. `add` stores rows together with those other requests add
 * meanwhile (group commit). Up to `WORKER_CONCURRENCY` batches at once, each a transaction that
 * claims up to `INBOUND_BATCH_ROWS` due rows (its locks keep them from other batches and
 * instances; if the process dies, the database lets go of them), applies them together, and
 * deletes them before it commits.
 *
 * Order under failure: rows of one lane apply in the order they were stored, one batch at a time.
 * A row that fails waits for its retry (backoff as graphile-worker's) and the rows behind it
 * wait with it; out of attempts it is set aside (`dead`, for an operator) and its lane goes on.
 */
@Injectable()
export class InboundQueue implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('InboundQueue');
  private readonly kinds = new Map<string, InboundKind<unknown>>();
  private readonly pool: Pool;
  private readonly commits: GroupCommit<SerializedWork>;
  private readonly loop = new ClaimLoop({ what: 'inbound work', logger: this.logger, pollMs: INBOUND_POLL_MS, claim: () => this.claimWhileRoom() });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    // Connections of its own, so a webhook never waits for a connection behind the batches.
    this.pool = new Pool({ connectionString: config.databaseUrl, max: 2, application_name: 'meta-inbox-inbound-queue', Client: PreparingClient });
    surviveConnectionLoss(this.pool, (message) => this.logger.warn(`inbound queue pool: ${message}`));
    this.commits = new GroupCommit<SerializedWork>({
      write: (groups) => this.write(groups),
      maxItems: MAX_ROWS_PER_STATEMENT,
      maxWeight: MAX_CHARS_PER_STATEMENT,
      weigh: (rows) => rows.reduce((chars, row) => chars + row.json.length, 0),
      mayBeOneCallers: isStatementRefusal,
      onCommit: (callers) => metrics.jobsCommitted(callers),
      onIsolate: (callers, error) =>
        this.logger.warn(`storing the inbound work of ${callers} requests together failed (${(error as Error).message}): storing each request's alone`),
    });
  }

  /** How rows of `kind` apply; register before the application bootstraps. */
  register<P>(kind: string, handler: InboundKind<P>): void {
    if (this.kinds.has(kind)) throw new Error(`Inbound work ${kind} is registered twice`);
    this.kinds.set(kind, handler as InboundKind<unknown>);
  }

  /** The kinds registered, for the backlog gauges. */
  registeredKinds(): string[] {
    return [...this.kinds.keys()];
  }

  /**
   * Resolves once `work` is committed (in this order, after the work of every earlier `add`),
   * rejects if the database refused it or is away.
   */
  add<P>(work: NewInboundWork<P>[]): Promise<void> {
    const unknown = work.find((unit) => !this.kinds.has(unit.kind));
    if (unknown) return Promise.reject(new Error(`No inbound work ${unknown.kind} is registered`));
    // Serialized here, so a payload that cannot be fails its own caller only.
    const serialized = work.map(({ kind, lane, payload }) => ({ kind, lane, json: JSON.stringify(payload), maxAttempts: this.kinds.get(kind)!.maxAttempts }));
    return this.commits.add(serialized);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.commits.idle();
    await this.pool.end().catch(() => undefined);
  }

  private async write(groups: SerializedWork[][]): Promise<void> {
    const rows = groups.flat();
    await this.pool.query(ADD_WORK, [rows.map((row) => row.kind), rows.map((row) => row.lane), rows.map((row) => row.json), rows.map((row) => row.maxAttempts)]);
    this.loop.wake();
  }

  /** Starts batches while there is room and the last claim took a full batch. */
  private async claimWhileRoom(): Promise<void> {
    while (!this.loop.isStopped && this.loop.running < this.config.workerConcurrency) {
      const claimed = await this.startBatch();
      if (claimed < INBOUND_BATCH_ROWS) return;
    }
  }

  /** Opens a batch's transaction and claims its rows; answers how many, the rest of the batch running on. */
  private async startBatch(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    let claimed: ClaimedWork[];
    try {
      await runner.connect();
      await runner.startTransaction();
      claimed = await runner.query(CLAIM);
    } catch (error) {
      await this.end(runner, 'rollback');
      throw error;
    }
    if (claimed.length === 0) {
      await this.end(runner, 'commit');
      return 0;
    }
    this.loop.track(
      this.apply(runner, claimed).catch((error: Error) => this.logger.warn(`a batch of ${claimed.length} inbound rows broke (${error.message}); they are claimed again`)),
    );
    return claimed.length;
  }

  /** Ends the transaction (if any) and gives the connection back, whatever state it is in. */
  private async end(runner: QueryRunner, how: 'commit' | 'rollback'): Promise<void> {
    try {
      if (runner.isTransactionActive) await (how === 'commit' ? runner.commitTransaction() : runner.rollbackTransaction());
    } finally {
      await runner.release().catch(() => undefined);
    }
  }

  /**
   * Applies the claimed rows, kind by kind: together in a savepoint if the kind can, else (or if
   * that failed) each lane's rows alone, in order, a lane stopping at its first failure. Then, in
   * the claim's transaction, deletes what applied and records what failed, and commits.
   */
  private async apply(runner: QueryRunner, claimed: ClaimedWork[]): Promise<void> {
    const applied: ClaimedWork[] = [];
    const failed: { row: ClaimedWork; error: string }[] = [];
    try {
      for (const [kind, rows] of groupBy(claimed, (row) => row.kind)) {
        const handler = this.kinds.get(kind);
        if (!handler) {
          failed.push(...rows.map((row) => ({ row, error: `no inbound work ${kind} is registered` })));
          continue;
        }
        if (handler.applyTogether && (await this.appliedTogether(runner, handler, rows))) applied.push(...rows);
        else await this.applyAlone(handler, rows, applied, failed);
      }
      if (applied.length > 0) await runner.query(DELETE_APPLIED, [applied.map((row) => row.id)]);
      const recorded: { id: string; dead: boolean }[] =
        failed.length > 0 ? await runner.query(RECORD_FAILURES, [failed.map(({ row }) => row.id), failed.map(({ error }) => error)]) : [];
      await this.end(runner, 'commit');
      this.report(applied, failed, new Set(recorded.filter((row) => row.dead).map((row) => row.id)));
    } catch (error) {
      await this.end(runner, 'rollback').catch(() => undefined);
      throw error;
    }
  }

  private async appliedTogether(runner: QueryRunner, handler: InboundKind<unknown>, rows: ClaimedWork[]): Promise<boolean> {
    await runner.query('SAVEPOINT together');
    try {
      await handler.applyTogether!(runner.manager, rows.map((row) => row.payload));
    } catch (error) {
      await runner.query('ROLLBACK TO SAVEPOINT together');
      this.logger.warn(`applying ${rows.length} inbound rows together failed (${(error as Error).message}): applying each alone`);
      return false;
    }
    await runner.query('RELEASE SAVEPOINT together');
    return true;
  }

  /** Each lane's rows one at a time, in order; a lane stops at its first failure (the rows behind it stay, and wait for its retry). */
  private async applyAlone(handler: InboundKind<unknown>, rows: ClaimedWork[], applied: ClaimedWork[], failed: { row: ClaimedWork; error: string }[]): Promise<void> {
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

  private report(applied: ClaimedWork[], failed: { row: ClaimedWork; error: string }[], dead: Set<string>): void {
    for (const [kind, rows] of groupBy(applied, (row) => row.kind)) this.kinds.get(kind)?.applied?.(rows.map((row) => row.payload));
    for (const { row, error } of failed) {
      const attempt = row.attempts + 1;
      if (dead.has(row.id)) {
        this.logger.error(`inbound ${row.kind} row ${row.id} (${row.lane}) failed its last attempt (${attempt}) and is set aside: ${error}`);
        this.kinds.get(row.kind)?.gaveUp?.(row.payload);
      } else {
        this.logger.warn(`inbound ${row.kind} row ${row.id} (${row.lane}) failed attempt ${attempt}, its lane waits for the retry: ${error}`);
      }
    }
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
