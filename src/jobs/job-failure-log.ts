import type { Logger } from '@nestjs/common';
import { Logger as WorkerLogger } from 'graphile-worker';

/** Failures of other systems that the code already describes: a stack trace adds nothing. */
const DESCRIBED_ERRORS = new Set(['ChannelSendError', 'MetaApiError', 'DomainError']);

export interface FailureMeta {
  job: { id: string; task_identifier: string; attempts: number; max_attempts: number };
  error: unknown;
}

/** graphile-worker's log lines through ours, a failed run as one line of its own. */
export function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger(() => (level, message, meta) => {
    if (meta?.failure) logFailure(logger, meta as unknown as FailureMeta);
    else if (level === 'error') logger.error(message);
    else if (level === 'warning') logger.warn(message);
    else logger.debug(message);
  });
}

/** One line per failed run: the job, its attempt, the error; a stack only for the unexpected. */
export function logFailure(logger: Logger, { job, error }: FailureMeta): void {
  const final = job.attempts >= job.max_attempts;
  const err = error as Error | undefined;
  const fields = {
    msg: final ? `job ${job.task_identifier} failed for good` : `job ${job.task_identifier} failed, will retry`,
    jobId: job.id,
    kind: job.task_identifier,
    attempt: job.attempts,
    maxAttempts: job.max_attempts,
    error: err?.message ?? String(error),
    ...(err?.stack && !DESCRIBED_ERRORS.has(err.name) ? { stack: err.stack } : {}),
  };
  if (final) logger.error(fields);
  else logger.warn(fields);
}
