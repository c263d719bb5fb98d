import { Pool } from 'pg';
import { surviveConnectionLoss } from '../database/pool-errors';
import { PreparingClient } from '../database/prepared-statements';

/**
 * The job pools' connections read graphile-worker's jobs table through plain index scans only.
 * It is a queue: a few live rows among many dead ones until autovacuum comes by (at most once a
 * minute), and its statistics say it is nearly empty. With a bitmap scan a fetch or a claim read
 * every entry of the index range, dead or not (51,000 of them after a few minutes of load, and
 * a completion took 40 ms); a plain index scan stops at the first due jobs and marks
 * the dead entries it passes so no later scan reads them again.
 */
const JOB_TABLE_SESSION = '-c enable_bitmapscan=off';

/**
 * A pool of the queues' connections (graphile-worker's, ours on its tables, the inbound
 * queue's): prepared statements, plain index scans, and a lost connection reported to `warn`
 * instead of crashing.
 */
export function openJobPool(databaseUrl: string | undefined, applicationName: string, max: number, warn: (message: string) => void): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, application_name: applicationName, options: JOB_TABLE_SESSION, Client: PreparingClient });
  surviveConnectionLoss(pool, warn);
  return pool;
}
