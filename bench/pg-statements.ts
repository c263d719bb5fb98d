import { Client } from 'pg';
import type { EmbeddedPostgres } from '../src/database/embedded-postgres';

/**
 * Diagnosis (`BENCH_PG_STATEMENTS=1`): PostgreSQL's own count of every statement's calls and
 * execution time (`pg_stat_statements`), printed after each part of the service and reset, so
 * a part's statements per unit of work and its most expensive statements are there to read
 * (with planning: a statement prepared by name is planned afresh only while PostgreSQL finds a
 * custom plan better than its generic one).
 */
export async function enableStatementStats(postgres: EmbeddedPostgres, serverUrl: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
    await client.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
  });
  // The library loads only at server start.
  await postgres.stop();
  await postgres.start();
  await withClient(serverUrl, (client) => client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
}

/** The statements since the last report, most execution time first; then the counts start again. */
export async function reportStatements(serverUrl: string, part: string, log: (line: string) => void, top = 15): Promise<void> {
  await withClient(serverUrl, async (client) => {
    const { rows: [total] } = await client.query(`SELECT coalesce(sum(calls), 0)::bigint AS calls, round(coalesce(sum(total_exec_time), 0)::numeric) AS ms,
         round(coalesce(sum(total_plan_time), 0)::numeric) AS plan_ms FROM pg_stat_statements`);
    log(`  ${part} statements: ${total.calls} calls, ${total.ms} ms executing, ${total.plan_ms} ms planning; the most expensive (calls, rows, total ms executing, mean ms, plans made and their ms, statement):`);
    const { rows } = await client.query(
      `SELECT calls, rows, round(total_exec_time::numeric) AS ms, round(mean_exec_time::numeric, 3) AS mean, plans || ' plans ' || round(total_plan_time::numeric) || ' ms' AS plan, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS query
       FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT $1`,
      [top],
    );
    for (const row of rows) log(`    ${row.calls}\t${row.rows}\t${row.ms}\t${row.mean}\t${row.plan}\t${row.query}`);
    await client.query('SELECT pg_stat_statements_reset()');
  });
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
