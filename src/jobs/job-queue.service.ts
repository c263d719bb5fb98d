import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { run, Task, TaskList, WorkerEvents } from 'graphile-worker';
import { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { AddJobOptions, jobSpecOf, NewJob } from './job-spec';
import { deleteIdleQueues } from './idle-queues';
import { openJobPool } from './job-pools';
import { endDueRests } from './resting-queues';
import { workerLogger } from './job-failure-log';
import { IdleWorkerPools } from './idle-workers';
import { JobNudges, type Nudgeable } from './job-nudges';
import { JobQueueTimers } from './job-queue-timers';
import { installJobSchema } from './job-schema';
import { type Alongside, attemptsLeft, contextOf, type IsolatedGroup, type JobContext, type JobHandler, type RegisterOptions, RunLater } from './job-types';
import { OrderedPayload, OrderedQueues } from './ordered-queues';
import { PoolWakeups } from './pool-wakeups';
import { WorkerLiveness, workerBackendName } from './worker-liveness';

export type { JobContext, JobHandler, RegisterOptions } from './job-types';
export { RunLater } from './job-types';

/**
 * Each worker still polls on its own this seldom, should its pool's polling stop (every idle
 * worker polls on its own: graphile-worker's batched fetching would run two jobs of one named
 * queue at once).
 */
const WORKER_POLL_INTERVAL_MS = 30_000;

/** Connections of the queue's own pool: ordered queues' holds, wake-ups, the liveness heartbeat, idle queue rows. */
const QUEUE_POOL_SIZE = 6;

/** The worker groups (inbound work is not a job: see `InboundQueue`). */
export const SEND_WORKERS = 'sends';
export const MEDIA_WORKERS = 'media';

/**
 * Durable jobs on the service's own Postgres (graphile-worker): added in the same transaction
 * as the rows they act on, woken through LISTEN/NOTIFY, retried with exponential backoff
 * (`exp(min(attempt, 10))` seconds). Every instance runs a worker; they share the work. Each
 * kind runs in a group of workers of its own (sends; media copies, profile fetches and file
 * deletions).
 */
@Injectable()
export class JobQueue implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  /** The groups of workers, each with its tasks, so one group's jobs never hold another's workers. */
  private readonly isolated = new Map<string, IsolatedGroup>();
  /** Each isolated group's task names, to its group. */
  private readonly isolatedTasks = new Map<string, IsolatedGroup>();
  /** Wakes idle workers before their next poll: a job put back for later is due, a queue freed. */
  private readonly wakeups: PoolWakeups;
  private readonly timers = new JobQueueTimers();
  /** Set once shutdown begins: no queue is run further. */
  private stopping = false;
  private readonly pool: Pool;
  readonly instanceId = randomUUID();
  private liveness?: WorkerLiveness;
  private readonly ordered: OrderedQueues;

  constructor(
    private readonly config: AppConfig,
    private readonly nudges: JobNudges,
  ) {
    // Named after the instance: its live connections are one of the signs that it lives.
    this.pool = this.jobPool(workerBackendName(this.instanceId), QUEUE_POOL_SIZE, 'worker pool');
    this.wakeups = new PoolWakeups(this.pool);
    this.ordered = new OrderedQueues(this.pool, this.logger, {
      wakeAt: (runAt, name, options) => this.wakeups.at(runAt, this.workerPoolOf(name), options),
      running: () => this.liveness?.running,
      stopping: () => this.stopping,
    });
  }

  /** The job kinds registered, for the backlog gauges. */
  registeredKinds(): string[] {
    return [...this.isolatedTasks.keys()];
  }

  /** Installs (or upgrades) the job schema before anything can add a job. */
  onModuleInit(): Promise<void> {
    return installJobSchema(this.pool, this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.liveness = new WorkerLiveness(this.pool, this.instanceId, (message) => this.logger.log(message), this.config.jobOrphanGraceSeconds * 1000);
    await this.liveness.start();
    const events: WorkerEvents = new EventEmitter();
    // Jobs are locked by the pool's id (batched fetches) or a worker's id: record both.
    let creating: IsolatedGroup | null = null;
    const idleWorkers = new IdleWorkerPools(events);
    events.on('pool:create', ({ workerPool }) => {
      this.liveness?.addWorker(workerPool.id);
      const pool = idleWorkers.add(workerPool);
      this.wakeups.pools.push(pool);
      if (creating) creating.workerPool = pool;
    });
    events.on('pool:listen:success', ({ client }) => this.nudges.onListening(client));
    events.on('worker:create', ({ worker }) => this.liveness?.addWorker(worker.workerId));
    events.on('job:start', ({ job }) => this.liveness?.running.add(job.id));
    events.on('job:complete', ({ worker, job }) => {
      this.liveness?.running.delete(job.id);
      const pool = idleWorkers.of(worker.workerPool);
      if (pool && job.job_queue_id !== null) this.wakeups.queueFreed(pool, job.job_queue_id);
    });
    const runWorkers = (pgPool: Pool, taskList: TaskList, concurrency: number, pollInterval: number) =>
      run({ events, pgPool, taskList, concurrency, pollInterval, noHandleSignals: true, logger: workerLogger(this.logger) });
    for (const [group, isolated] of this.isolated) {
      creating = isolated;
      // These jobs wait on others, not on the database: a few connections serve many workers.
      isolated.pool = this.jobPool(`meta-inbox-${group}`, Math.min(isolated.concurrency, 8) + 2, `${group} worker pool`);
      isolated.runner = await runWorkers(isolated.pool, isolated.tasks, isolated.concurrency, WORKER_POLL_INTERVAL_MS);
    }
    await this.liveness.publishWorkers();
    // Jobs a killed predecessor held are freed now, not hours later.
    await this.liveness.sweep();
    this.timers.start({
      deleteIdleQueues: () => this.deleteIdleQueues(),
      endDueRests: () => this.endDueRests(),
      isolatedPools: [...this.isolated.values()].flatMap((group) => (group.workerPool ? [group.workerPool] : [])),
      stopping: () => this.stopping,
      warn: (message) => this.logger.warn(message),
    });
  }

  /** A pool of the job queue's connections (`openJobPool`), its lost connections logged under `label`. */
  private jobPool(applicationName: string, max: number, label: string): Pool {
    return openJobPool(this.config.databaseUrl, applicationName, max, (message) => this.logger.warn(`${label}: ${message}`));
  }

  /** Deletes the rows of named queues without jobs (see `deleteIdleQueues`); answers how many. */
  deleteIdleQueues(): Promise<number> {
    return deleteIdleQueues(this.pool);
  }

  /** Ends the rests of named queues that are due (see `endDueRests`), whoever began them; answers how many. */
  endDueRests(): Promise<number> {
    return endDueRests(this.pool);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.nudges.stop();
    this.timers.stop();
    this.wakeups.stop();
    for (const isolated of this.isolated.values()) {
      await isolated.runner?.stop().catch(() => undefined);
      await isolated.pool?.end().catch(() => undefined);
    }
    await this.liveness?.stop();
    await this.pool.end().catch(() => undefined);
  }

  /**
   * A job kind that runs on a group of `concurrency` workers of its own (sends; media copies,
   * profile fetches and file deletions), so a backlog or a slow remote end in one group never
   * takes the workers another group needs: a send backlog never delays a profile fetch.
   * Register before the application bootstraps.
   */
  registerIsolated<P>(group: string, concurrency: number, name: string, handler: JobHandler<P>, options: RegisterOptions = {}): void {
    if (this.isolatedTasks.has(name)) throw new Error(`Job ${name} is registered twice`);
    const isolated = this.isolated.get(group) ?? { tasks: {}, concurrency };
    isolated.tasks[name] = this.taskOf(name, handler, options);
    this.isolated.set(group, isolated);
    this.isolatedTasks.set(name, isolated);
  }

  private taskOf<P>(name: string, handler: JobHandler<P>, options: RegisterOptions): Task {
    if (options.ordered) return this.orderedTask(name, handler, options.alongside);
    const run = async (payload: P, context: JobContext) => {
      try {
        await handler(payload, context);
      } catch (error) {
        if (!(error instanceof RunLater)) throw error;
        await this.add(name, { ...(payload as object), ...error.changes }, { runAt: error.runAt, maxAttempts: attemptsLeft(context) });
        this.wakeups.at(error.runAt, this.workerPoolOf(name));
      }
    };
    return (payload, helpers) => run(payload as P, contextOf(helpers.job));
  }

  /** The worker pool that runs jobs of `name` on this instance (once the workers run). */
  private workerPoolOf(name: string): Nudgeable | undefined {
    return this.isolatedTasks.get(name)?.workerPool;
  }

  private orderedTask<P>(name: string, handler: JobHandler<P>, alongside?: Alongside): Task {
    return async (payload, helpers) => {
      const { job } = helpers;
      if (job.job_queue_id === null) return this.taskOf(name, handler, {})(payload, helpers);
      const context = { ...contextOf(job), queueId: job.job_queue_id, lockedBy: job.locked_by, taskId: job.task_id };
      await this.ordered.run(name, payload as OrderedPayload<P>, context, handler, alongside);
    };
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
    await this.query(sql, params, manager);
    this.wakeAfterCommit(manager, name);
  }

  /**
   * Adds many plain jobs (no key) in one statement, in order, without graphile-worker's NOTIFY
   * (`add_quiet_jobs`): it woke every listening pool of every instance, none of which runs an
   * isolated group's jobs (media copies, say). This instance's workers of each job's group are
   * woken once `manager`'s transaction commits (at once without one); other instances find the
   * jobs when they poll.
   */
  async addMany<P>(jobs: NewJob<P>[], manager?: EntityManager): Promise<void> {
    if (jobs.length === 0) return;
    await this.query('SELECT add_quiet_jobs($1::json)', [JSON.stringify(jobs.map(jobSpecOf))], manager);
    this.wakeCommitted(jobs, manager);
  }

  /** A statement in `manager`'s transaction, or on the worker pool without one. */
  private async query(sql: string, params: unknown[], manager?: EntityManager): Promise<void> {
    if (manager) await manager.query(sql, params);
    else await this.pool.query(sql, params);
  }

  /**
   * Adds jobs whose keys no job has yet (made from rows this transaction made, say) in one
   * statement, without graphile-worker's NOTIFY to every worker pool of every instance
   * (`add_quiet_jobs_with_new_keys`), and wakes this instance's workers of their group once
   * `manager`'s transaction commits; other instances find them when they poll.
   */
  async addWithNewKeys<P>(jobs: NewJob<P>[], manager: EntityManager): Promise<void> {
    if (jobs.length === 0) return;
    if (jobs.some((job) => job.options?.jobKey === undefined)) throw new Error('addWithNewKeys adds jobs with a key only');
    await manager.query('SELECT add_quiet_jobs_with_new_keys($1::json)', [JSON.stringify(jobs.map(jobSpecOf))]);
    this.wakeCommitted(jobs, manager);
  }

  /**
   * Wakes this instance's workers (main or isolated) for jobs added without a NOTIFY
   * (`add_quiet_jobs`), once `manager`'s transaction commits, or now without one.
   */
  wakeCommitted(jobs: { name: string }[], manager?: EntityManager): void {
    const added = new Map<string, number>();
    for (const { name } of jobs) added.set(name, (added.get(name) ?? 0) + 1);
    for (const [name, count] of added) {
      const pool = this.workerPoolOf(name);
      if (pool) this.nudges.afterCommit(manager, pool, count);
    }
  }

  /**
   * Wakes the workers of the isolated groups these jobs belong to once they are committed (those
   * groups do not listen for new jobs: see `JobNudges`). For jobs added in SQL of one's own.
   */
  wakeAfterCommit(manager: EntityManager | undefined, name: string, count = 1): void {
    const pool = this.isolatedTasks.get(name)?.workerPool;
    if (pool && count > 0) this.nudges.afterCommit(manager, pool, count);
  }
}
