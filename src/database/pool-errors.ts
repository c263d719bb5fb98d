import type { Pool } from 'pg';

/**
 * A pg client checked out of a pool (a LISTEN connection, a long query) emits 'error' when
 * the database goes away; with no listener that would crash the process. Every client of
 * `pool` gets one, so an outage is logged and survived, and the pool reconnects afterwards.
 */
export function surviveConnectionLoss(pool: Pool, log: (message: string) => void): void {
  pool.on('error', (error) => log(`idle connection lost: ${error.message}`));
  pool.on('connect', (client) => client.on('error', (error) => log(`connection lost: ${error.message}`)));
}
