import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ClaimLoop } from '../common/claim-loop';
import { AppConfig } from '../config/app-config';
import { isStatementRefusal } from '../database/pool-errors';
import { Metrics } from '../metrics/metrics.service';
import { GroupCommit } from './group-commit';
import { applyBatch, ClaimedWork, endTransaction, InboundKind } from './inbound-batch';
import { openJobPool } from './job-pools';

export type { InboundKind } from './inbound-batch';

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
    this.pool = openJobPool(config.databaseUrl, 'meta-inbox-inbound-queue', 2, (message) => this.logger.warn(`inbound queue pool: ${message}`));
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
      await endTransaction(runner, 'rollback');
      throw error;
    }
    if (claimed.length === 0) {
      await endTransaction(runner, 'commit');
      return 0;
    }
    this.loop.track(
      applyBatch(runner, claimed, this.kinds, this.logger).catch((error: Error) => this.logger.warn(`a batch of ${claimed.length} inbound rows broke (${error.message}); they are claimed again`)),
    );
    return claimed.length;
  }
}
