export interface AddJobOptions {
  /** Jobs of one queue run one at a time, in order. */
  queue?: string;
  /** A pending job with the same key is replaced instead of duplicated. */
  jobKey?: string;
  runAt?: Date;
  maxAttempts?: number;
  priority?: number;
}

export interface NewJob<P = unknown> {
  name: string;
  payload: P;
  options?: AddJobOptions;
}

/** A job as graphile-worker's `job_spec` (JSON); an option not given is left out, so its default applies. */
export function jobSpecOf({ name, payload, options = {} }: NewJob): Record<string, unknown> {
  return {
    identifier: name,
    payload,
    queue_name: options.queue,
    run_at: options.runAt?.toISOString(),
    max_attempts: options.maxAttempts,
    job_key: options.jobKey,
    priority: options.priority,
  };
}
