import { randomInt, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

/** The advisory-lock class our instances' liveness locks live in. */
const LIVENESS_LOCK_CLASS = 726_373;
const SWEEP_EVERY_MS = 5000;
const RECONNECT_AFTER_MS = 2000;

/**
 * Lets live instances free the jobs of a dead one at once. graphile-worker 0.17 only frees
 * the jobs a crashed worker held after 4 hours; here each instance holds a session advisory
 * lock on a connection of its own for as long as it lives. A `kill -9` closes that
 * connection, Postgres drops the lock, and the next sweep by any instance (including the
 * restarted one, at start) force-unlocks the dead instance's workers so their jobs run again.
 */
export class WorkerLiveness {
  readonly instanceId = randomUUID();
  private readonly lockKey = randomInt(1, 2 ** 31 - 1);
  private readonly workerIds: string[] = [];
  private client?: PoolClient;
  private sweepTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly log: (message: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.hold();
    this.sweepTimer = setInterval(() => void this.sweep().catch((error: Error) => this.log(`liveness sweep failed: ${error.message}`)), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  /** A `locked_by` value this instance's jobs can carry (pool id or worker id). */
  addWorker(workerId: string): void {
    this.workerIds.push(workerId);
  }

  /** Records this instance's worker ids (after the runner created them). */
  async publishWorkers(): Promise<void> {
    await this.pool.query('UPDATE job_instances SET worker_ids = $2 WHERE instance_id = $1', [this.instanceId, this.workerIds]);
  }

  /** Frees the jobs of every instance whose liveness lock is gone. */
  async sweep(): Promise<number> {
    const { rows } = await this.pool.query<{ instance_id: string; worker_ids: string[] }>(
      `SELECT instance_id, worker_ids FROM job_instances i
        WHERE instance_id <> $1
          AND NOT EXISTS (
            SELECT 1 FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.granted
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid = $2::int::oid AND l.objid = i.lock_key::oid AND l.objsubid = 2)`,
      [this.instanceId, LIVENESS_LOCK_CLASS],
    );
    for (const dead of rows) {
      await this.pool.query('SELECT graphile_worker.force_unlock_workers($1::text[])', [dead.worker_ids]);
      await this.pool.query('DELETE FROM job_instances WHERE instance_id = $1', [dead.instance_id]);
      this.log(`freed the jobs of stopped instance ${dead.instance_id}`);
    }
    return rows.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
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
       ON CONFLICT (instance_id) DO UPDATE SET worker_ids = EXCLUDED.worker_ids`,
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
