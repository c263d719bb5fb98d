import type { Logger } from '@nestjs/common';
import { runMigrations } from 'graphile-worker';
import type { Pool } from 'pg';
import { withMigrationLock } from '../database/run-migrations';
import { QUEUE_ROWS_GUARD } from './idle-queues';
import { workerLogger } from './job-failure-log';
import { RESTING_QUEUE_JOBS } from './resting-queues';

/**
 * The next available jobs of a named queue, looked up by queue: graphile-worker's table has no
 * index on the queue, so each lookup (the jobs queued behind a running one, whether a finished
 * or freed queue has another job due) walked its index of every due job, past the other queues'
 * jobs and the dead entries of jobs just taken.
 */
const JOBS_BY_QUEUE_INDEX = `CREATE INDEX IF NOT EXISTS jobs_by_queue_index ON graphile_worker._private_jobs (job_queue_id, priority, run_at, id)
  WHERE is_available AND job_queue_id IS NOT NULL`;

/**
 * Installs (or upgrades) graphile-worker's schema, and what the service adds to it (the index,
 * the guard of queue rows against their deletion while a job is added, and the parking of jobs
 * added to a resting queue), under the migration lock, so two instances starting together do it
 * once.
 */
export async function installJobSchema(pool: Pool, logger: Logger): Promise<void> {
  const client = await pool.connect();
  try {
    await withMigrationLock(client, async () => {
      await runMigrations({ pgPool: pool, logger: workerLogger(logger) });
      await client.query(JOBS_BY_QUEUE_INDEX);
      await client.query(QUEUE_ROWS_GUARD);
      await client.query(RESTING_QUEUE_JOBS);
    });
  } finally {
    client.release();
  }
}
