import type { Pool } from 'pg';
import type { Metrics } from '../metrics/metrics.service';

/** Jobs not done yet per kind (all instances), the age of the oldest, and those out of attempts. */
async function jobBacklog(pool: Pool): Promise<{ kind: string; waiting: number; oldestAgeSeconds: number; failed: number }[]> {
  const { rows } = await pool.query(
    `SELECT task_identifier AS kind,
            count(*) FILTER (WHERE attempts < max_attempts)::int AS waiting,
            coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE attempts < max_attempts)), 0)::float8 AS "oldestAgeSeconds",
            count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
       FROM graphile_worker.jobs GROUP BY task_identifier`,
  );
  return rows;
}

/** The job backlog as gauges at each scrape, every registered kind (`kinds`) shown, at 0 when it has none. */
export function collectJobBacklog(metrics: Metrics, pool: Pool, kinds: () => string[]): void {
  metrics.addCollector(async () => {
    const rows = await jobBacklog(pool);
    for (const gauge of [metrics.jobsWaiting, metrics.jobsOldestAge, metrics.jobsFailed]) gauge.reset();
    for (const kind of kinds()) {
      metrics.jobsWaiting.set({ kind }, 0);
      metrics.jobsOldestAge.set({ kind }, 0);
      metrics.jobsFailed.set({ kind }, 0);
    }
    for (const row of rows) {
      metrics.jobsWaiting.set({ kind: row.kind }, row.waiting);
      metrics.jobsOldestAge.set({ kind: row.kind }, row.oldestAgeSeconds);
      metrics.jobsFailed.set({ kind: row.kind }, row.failed);
    }
  });
}
