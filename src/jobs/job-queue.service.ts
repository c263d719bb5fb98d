import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Logger as WorkerLogger, run, Runner, runMigrations, Task, TaskList, WorkerEvents } from 'graphile-worker';
import { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { surviveConnectionLoss } from '../database/pool-errors';
import { withMigrationLock } from '../database/run-migrations';
import { WorkerLiveness } from './worker-liveness';

export interface JobContext {
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  isLastAttempt: boolean;
}

export type JobHandler<P> = (payload: P, context: JobContext) => Promise<void>;

export interface AddJobOptions {
  /** Jobs of one queue run one at a time, in order. */
  queue?: string;
  /** A pending job with the same key is replaced instead of duplicated. */
  jobKey?: string;
  runAt?: Date;
  maxAttempts?: number;
  priority?: number;
}

/**
 * Durable jobs on the service's own Postgres (graphile-worker): added in the same transaction
 * as the rows they act on, woken through LISTEN/NOTIFY, retried with exponential backoff
 * (`exp(min(attempt, 10))` seconds). Every instance runs a worker; they share the work.
 */
@Injectable()
export class JobQueue implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly tasks: TaskList = {};
  /** Tasks that run on workers of their own, so their jobs never hold the shared workers. */
  private readonly isolated = new Map<string, { tasks: TaskList; concurrency: number; pool?: Pool; runner?: Runner }>();
  private readonly pool: Pool;
  private runner?: Runner;
  private liveness?: WorkerLiveness;

  constructor(private readonly config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.databaseUrl,
      max: config.workerConcurrency + 4,
      application_name: 'meta-inbox-worker',
    });
    surviveConnectionLoss(this.pool, (message) => this.logger.warn(`worker pool: ${message}`));
  }

  /** Installs (or upgrades) the job schema before anything can add a job. */
  async onModuleInit(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await withMigrationLock(client, () => runMigrations({ pgPool: this.pool, logger: this.workerLogger() }));
    } finally {
      client.release();
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    this.liveness = new WorkerLiveness(this.pool, (message) => this.logger.log(message));
    await this.liveness.start();
    const events: WorkerEvents = new EventEmitter();
    // Jobs are locked by the pool's id (batched fetches) or a worker's id: record both.
    events.on('pool:create', ({ workerPool }) => this.liveness?.addWorker(workerPool.id));
    events.on('worker:create', ({ worker }) => this.liveness?.addWorker(worker.workerId));
    this.runner = await run({
      events,
      pgPool: this.pool,
      taskList: this.tasks,
      concurrency: this.config.workerConcurrency,
      noHandleSignals: true,
      // A job queued behind a busy per-conversation queue is found by polling, not NOTIFY.
      pollInterval: 200,
      logger: this.workerLogger(),
    });
    for (const [group, isolated] of this.isolated) {
      isolated.pool = new Pool({ connectionString: this.config.databaseUrl, max: isolated.concurrency + 2, application_name: `meta-inbox-${group}` });
      surviveConnectionLoss(isolated.pool, (message) => this.logger.warn(`${group} worker pool: ${message}`));
      isolated.runner = await run({
        events,
        pgPool: isolated.pool,
        taskList: isolated.tasks,
        concurrency: isolated.concurrency,
        noHandleSignals: true,
        pollInterval: 200,
        logger: this.workerLogger(),
      });
    }
    await this.liveness.publishWorkers();
    // Jobs a killed predecessor held are freed now, not hours later.
    await this.liveness.sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.stop().catch(() => undefined);
    for (const isolated of this.isolated.values()) {
      await isolated.runner?.stop().catch(() => undefined);
      await isolated.pool?.end().catch(() => undefined);
    }
    await this.liveness?.stop();
    await this.pool.end().catch(() => undefined);
  }

  register<P>(name: string, handler: JobHandler<P>): void {
    if (this.isRegistered(name)) throw new Error(`Job ${name} is registered twice`);
    this.tasks[name] = task(handler);
  }

  /**
   * A job kind that may wait long on someone else (an integrator's endpoint): it runs on a group
   * of `concurrency` workers of its own, so its jobs never take the workers inbound processing
   * and sends need. Register before the application bootstraps.
   */
  registerIsolated<P>(group: string, concurrency: number, name: string, handler: JobHandler<P>): void {
    if (this.isRegistered(name)) throw new Error(`Job ${name} is registered twice`);
    const isolated = this.isolated.get(group) ?? { tasks: {}, concurrency };
    isolated.tasks[name] = task(handler);
    this.isolated.set(group, isolated);
  }

  private isRegistered(name: string): boolean {
    return name in this.tasks || [...this.isolated.values()].some((group) => name in group.tasks);
  }

  /** Adds a job; pass the transaction's manager so the job exists only if it commits. */
  async add<P>(name: string, payload: P, options: AddJobOptions = {}, manager?: EntityManager): Promise<void> {
    const params = [
      name,
      JSON.stringify(payload),
      options.queue ?? null,
      options.runAt?.toISOString() ?? null,
      options.maxAttempts ?? null,
      options.jobKey ?? null,
      options.priority ?? null,
    ];
    const sql = 'SELECT graphile_worker.add_job($1, $2::json, $3, $4::timestamptz, $5::int, $6, $7::int)';
    if (manager) await manager.query(sql, params);
    else await this.pool.query(sql, params);
  }

  /** Adds many jobs in one statement (same transaction rules as `add`). */
  async addMany<P>(jobs: { name: string; payload: P; options?: AddJobOptions }[], manager?: EntityManager): Promise<void> {
    if (jobs.length === 0) return;
    const specs = jobs.map(({ name, payload, options = {} }) => ({
      identifier: name,
      payload,
      queue_name: options.queue ?? null,
      run_at: options.runAt?.toISOString() ?? null,
      max_attempts: options.maxAttempts ?? null,
      job_key: options.jobKey ?? null,
      priority: options.priority ?? null,
    }));
    const sql =
      'SELECT count(*) FROM graphile_worker.add_jobs(array(SELECT json_populate_recordset(NULL::graphile_worker.job_spec, $1::json)))';
    if (manager) await manager.query(sql, [JSON.stringify(specs)]);
    else await this.pool.query(sql, [JSON.stringify(specs)]);
  }

  private workerLogger(): WorkerLogger {
    return new WorkerLogger(() => (level, message) => {
      if (level === 'error') this.logger.error(message);
      else if (level === 'warning') this.logger.warn(message);
      else this.logger.debug(message);
    });
  }
}

function task<P>(handler: JobHandler<P>): Task {
  return async (payload, helpers) => {
    const { id, attempts, max_attempts } = helpers.job;
    await handler(payload as P, { jobId: id, attempt: attempts, maxAttempts: max_attempts, isLastAttempt: attempts >= max_attempts });
  };
}
