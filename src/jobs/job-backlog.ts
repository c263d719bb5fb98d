import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Metrics } from '../metrics/metrics.service';
import { InboundQueue } from './inbound-queue';
import { JobQueue } from './job-queue.service';

/**
 * Work not done yet per kind (all instances): graphile-worker's jobs and the inbound queue's
 * rows alike, the age of the oldest, and those out of attempts (failed jobs, rows set aside).
 */
const WORK_BACKLOG = `
  SELECT task_identifier AS kind,
         count(*) FILTER (WHERE attempts < max_attempts)::int AS waiting,
         coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE attempts < max_attempts)), 0)::float8 AS "oldestAgeSeconds",
         count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
    FROM graphile_worker.jobs GROUP BY task_identifier
  UNION ALL
  SELECT kind,
         count(*) FILTER (WHERE NOT dead)::int,
         coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE NOT dead)), 0)::float8,
         count(*) FILTER (WHERE dead)::int
    FROM inbound_queue GROUP BY kind`;

/** The work backlog as gauges at each scrape, every registered kind shown, at 0 when it has none. */
@Injectable()
export class WorkBacklogMetrics {
  constructor(metrics: Metrics, jobs: JobQueue, inbound: InboundQueue, @InjectDataSource() dataSource: DataSource) {
    metrics.addCollector(async () => {
      const rows: { kind: string; waiting: number; oldestAgeSeconds: number; failed: number }[] = await dataSource.query(WORK_BACKLOG);
      for (const gauge of [metrics.jobsWaiting, metrics.jobsOldestAge, metrics.jobsFailed]) gauge.reset();
      for (const kind of [...jobs.registeredKinds(), ...inbound.registeredKinds()]) {
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
}
