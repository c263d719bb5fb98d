import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '../config/app-config';
import { isStatementRefusal, surviveConnectionLoss } from '../database/pool-errors';
import { PreparingClient } from '../database/prepared-statements';
import { Metrics } from '../metrics/metrics.service';
import { GroupCommit } from './group-commit';
import { JobQueue } from './job-queue.service';
import { jobSpecOf, NewJob } from './job-spec';

/** One job ready for the statement: its `job_spec` as JSON text, its kind, and the queue its order depends on. */
export interface SerializedJob {
  json: string;
  name: string;
  queue?: string;
}

/**
 * Splits callers' jobs (in caller order) into layers, a later job of a queue one layer after
 * the earlier one. Layers are added one after the other, each with a later `run_at`, so a later
 * job of a queue always gets a higher id and a later `run_at`, whatever order one call inserts
 * its jobs in (graphile-worker picks a queue's next job by `run_at` first). Usually every job
 * fits in the first layer.
 */
export function layersOf(groups: SerializedJob[][]): SerializedJob[][] {
  const layers: SerializedJob[][] = [];
  const nextLayer = new Map<string, number>();
  for (const job of groups.flat()) {
    const layer = job.queue === undefined ? 0 : (nextLayer.get(job.queue) ?? 0);
    (layers[layer] ??= []).push(job);
    if (job.queue !== undefined) nextLayer.set(job.queue, layer + 1);
  }
  return layers;
}

/**
 * The layers in order (a nested loop over the ordinality), each through `add_quiet_jobs` (no
 * NOTIFY: the workers are woken once the statement commits); a spec without a `run_at` of its
 * own runs from the transaction's time plus its layer's microseconds.
 */
const ADD_LAYERS = `
  SELECT sum(added.n)::int AS jobs
  FROM (SELECT specs, n FROM json_array_elements($1::json) WITH ORDINALITY AS layer(specs, n) ORDER BY n) layer
  CROSS JOIN LATERAL add_quiet_jobs(layer.specs, now() + (layer.n - 1) * interval '1 microsecond') AS added(n)`;

/** Big enough that a burst shares few commits, small enough that one statement stays short. */
const MAX_JOBS_PER_STATEMENT = 500;
const MAX_CHARS_PER_STATEMENT = 4 * 1024 * 1024;

/**
 * Adds jobs that concurrent requests hand in together: each `add` resolves once its jobs are
 * committed, sharing one statement (one round trip, one commit) with every other `add` that
 * arrived while the previous statement was in flight (see `GroupCommit`), and wakes this
 * instance's workers for them. It has connections of its own, so a request never waits for a
 * connection behind the workers. Plain jobs only: no job keys.
 */
@Injectable()
export class JobBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly pool: Pool;
  private readonly commits: GroupCommit<SerializedJob>;

  constructor(
    config: AppConfig,
    metrics: Metrics,
    private readonly jobs: JobQueue,
  ) {
    this.pool = new Pool({ connectionString: config.databaseUrl, max: 2, application_name: 'meta-inbox-job-batcher', Client: PreparingClient });
    surviveConnectionLoss(this.pool, (message) => this.logger.warn(`job batcher pool: ${message}`));
    this.commits = new GroupCommit<SerializedJob>({
      write: (groups) => this.write(groups),
      maxItems: MAX_JOBS_PER_STATEMENT,
      maxWeight: MAX_CHARS_PER_STATEMENT,
      weigh: (jobs) => jobs.reduce((chars, job) => chars + job.json.length, 0),
      mayBeOneCallers: isStatementRefusal,
      onCommit: (callers) => metrics.jobsCommitted(callers),
      onIsolate: (callers, error) =>
        this.logger.warn(`adding the jobs of ${callers} requests together failed (${(error as Error).message}): adding each request's jobs alone`),
    });
  }

  /**
   * Resolves once `jobs` are committed (in this order, after the jobs of every earlier `add`),
   * rejects if the database refused them or is away.
   */
  add<P>(jobs: NewJob<P>[]): Promise<void> {
    if (jobs.some((job) => job.options?.jobKey !== undefined)) return Promise.reject(new Error('JobBatcher adds plain jobs only: no job keys'));
    // Serialized here, so a payload that cannot be fails its own caller only.
    const serialized = jobs.map((job) => ({ json: JSON.stringify(jobSpecOf(job)), name: job.name, queue: job.options?.queue }));
    return this.commits.add(serialized);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.commits.idle();
    await this.pool.end().catch(() => undefined);
  }

  private async write(groups: SerializedJob[][]): Promise<void> {
    const layers = `[${layersOf(groups)
      .map((layer) => `[${layer.map((job) => job.json).join(',')}]`)
      .join(',')}]`;
    await this.pool.query(ADD_LAYERS, [layers]);
    this.jobs.wakeCommitted(groups.flat());
  }
}
