import { randomInt } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

/** The advisory-lock class our instances' liveness locks live in. */
const LIVENESS_LOCK_CLASS = 726_373;
const SWEEP_EVERY_MS = 5000;
const HEARTBEAT_EVERY_MS = 2000;
/** An instance whose heartbeat is this old (and that shows no other sign of life) is dead. */
const HEARTBEAT_STALE_SECONDS = 10;
const RECONNECT_AFTER_MS = 2000;

/** The `application_name` of every connection of an instance's job pool. */
export const workerBackendName = (instanceId: string) => `meta-inbox-worker:${instanceId}`;

/**
 * Lets live instances free the jobs of a dead one at once. graphile-worker 0.17 only frees
 * the jobs a crashed worker held after 4 hours; here each instance holds a session advisory
 * lock on a connection of its own for as long as it lives. A `kill -9` closes that
 * connection, Postgres drops the lock, and the next sweep by any instance (including the
 * restarted one) force-unlocks the dead instance's workers so their jobs run again.
 *
 * A missing lock alone is not death: the liveness connection can be lost (a terminated
 * backend, a network blip) while the instance goes on running jobs, and freeing those would
 * send twice. An instance is dead only when, besides its lock, it has no connection left to the
 * database (its job pool's connections are named after it) and its heartbeat, written through
 * that pool, is stale. A killed process loses every connection at once; a live one keeps at
 * least graphile-worker's LISTEN connection and its heartbeat.
 */
export class WorkerLiveness {
  private readonly lockKey = randomInt(1, 2 ** 31 - 1);
  private readonly workerIds: string[] = [];
  /** Jobs this instance's workers run now (graphile-worker's job:start to job:complete). */
  readonly running = new Set<string>();
  /** Jobs locked by this instance but run by none of its workers, and when a sweep first saw each so. */
  private readonly unowned = new Map<string, number>();
  private client?: PoolClient;
  private sweepTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    readonly instanceId: string,
    private readonly log: (message: string) => void,
    private readonly orphanGraceMs: number,
  ) {}

  async start(): Promise<void> {
    await this.hold();
    this.sweepTimer = setInterval(
      () => void Promise.all([this.sweep(), this.freeOrphans()]).catch((error: Error) => this.log(`liveness sweep failed: ${error.message}`)),
      SWEEP_EVERY_MS,
    );
    this.sweepTimer.unref();
    this.heartbeatTimer = setInterval(() => void this.heartbeat().catch((error: Error) => this.log(`liveness heartbeat failed: ${error.message}`)), HEARTBEAT_EVERY_MS);
    this.heartbeatTimer.unref();
  }

  /** Through the job pool, not the liveness connection: it shows the instance runs, whatever that connection does. */
  private async heartbeat(): Promise<void> {
    await this.pool.query(
      `INSERT INTO job_instances (instance_id, lock_key, worker_ids) VALUES ($1, $2, $3)
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = now()`,
      [this.instanceId, this.lockKey, this.workerIds],
    );
  }

  /** A `locked_by` value this instance's jobs can carry (pool id or worker id). */
  addWorker(workerId: string): void {
    this.workerIds.push(workerId);
  }

  /** Records this instance's worker ids (after the runner created them). */
  async publishWorkers(): Promise<void> {
    await this.pool.query('UPDATE job_instances SET worker_ids = $2 WHERE instance_id = $1', [this.instanceId, this.workerIds]);
  }

  /** Frees the jobs of every instance that is dead: lock, connections and heartbeat all gone. */
  async sweep(): Promise<number> {
    const { rows } = await this.pool.query<{ instance_id: string; worker_ids: string[] }>(
      `SELECT instance_id, worker_ids FROM job_instances i
        WHERE instance_id <> $1
          AND heartbeat_at < now() - make_interval(secs => $3)
          AND NOT EXISTS (
            SELECT 1 FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.granted
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid = $2::int::oid AND l.objid = i.lock_key::oid AND l.objsubid = 2)
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = $4 || i.instance_id::text)`,
      [this.instanceId, LIVENESS_LOCK_CLASS, HEARTBEAT_STALE_SECONDS, workerBackendName('')],
    );
    for (const dead of rows) {
      await this.pool.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [dead.worker_ids]);
      await this.pool.query('DELETE FROM job_instances WHERE instance_id = $1', [dead.instance_id]);
      this.log(`freed the jobs of stopped instance ${dead.instance_id}`);
    }
    return rows.length;
  }

  /**
   * Frees this instance's own jobs that none of its workers runs: graphile-worker 0.17 does not
   * wait for a finished job's completion statement, and when that statement fails for good (the
   * database shut down under it) the job stays locked, its queue with it, for 4 hours. A job
   * is freed once sweeps have seen it so for `orphanGraceMs` with the database reachable —
   * longer than graphile-worker keeps retrying a completion — and runs again (inbound work is
   * idempotent; a send is at least once, as after a kill -9).
   */
  async freeOrphans(): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id::text FROM graphile_worker._private_jobs WHERE locked_by = ANY($1::text[]) AND NOT (id::text = ANY($2::text[]))`,
      [this.workerIds, [...this.running]],
    );
    const now = Date.now();
    const seen = new Set(rows.map((row) => row.id));
    for (const id of this.unowned.keys()) if (!seen.has(id)) this.unowned.delete(id);
    for (const id of seen) if (!this.unowned.has(id)) this.unowned.set(id, now);
    const due = [...this.unowned].filter(([id, since]) => now - since >= this.orphanGraceMs && !this.running.has(id)).map(([id]) => id);
    if (due.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `WITH freed AS (
         UPDATE graphile_worker._private_jobs SET locked_at = NULL, locked_by = NULL
         WHERE id = ANY($1::bigint[]) AND locked_by = ANY($2::text[])
         RETURNING job_queue_id
       )
       UPDATE graphile_worker._private_job_queues q SET locked_at = NULL, locked_by = NULL
       FROM freed WHERE q.id = freed.job_queue_id AND q.locked_by = ANY($2::text[])`,
      [due, this.workerIds],
    );
    for (const id of due) this.unowned.delete(id);
    this.log(`freed ${due.length} job(s) this instance held without running them (a lost completion); ${rowCount ?? 0} queue(s) unlocked`);
    return due.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    await this.pool.query('DELETE FROM job_instances WHERE instance_id = $1', [this.instanceId]).catch(() => undefined);
    this.client?.release(true);
    this.client = undefined;
  }

  /** Takes the lock on a dedicated connection and (re)registers this instance. */
  private async hold(): Promise<void> {
    const client = await this.pool.connect();
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.query('SELECT pg_advisory_lock($1, $2)', [LIVENESS_LOCK_CLASS, this.lockKey]);
    await client.query(
      `INSERT INTO job_instances (instance_id, lock_key, worker_ids) VALUES ($1, $2, $3)
       ON CONFLICT (instance_id) DO UPDATE SET worker_ids = EXCLUDED.worker_ids, heartbeat_at = now()`,
      [this.instanceId, this.lockKey, this.workerIds],
    );
    this.client = client;
  }

  /** The lock went with its connection (database restart): take it again when possible. */
  private lost(client: PoolClient): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    client.release(true);
    const retry = () => {
      if (this.stopped) return;
      this.hold().catch(() => (this.reconnectTimer = setTimeout(retry, RECONNECT_AFTER_MS)));
    };
    this.reconnectTimer = setTimeout(retry, RECONNECT_AFTER_MS);
  }
}
