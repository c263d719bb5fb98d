import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobContext, JobQueue } from '../../../jobs/job-queue.service';
import { Metrics } from '../../../metrics/metrics.service';
import { ConversationEvents, INBOUND_QUEUE_PREFIX } from '../mappers/webhook-delivery';
import { InboundEventService } from '../services/inbound-event.service';

export const INBOUND_EVENTS_JOB = 'meta.inbound.events';

/** Retries of one conversation's events (backoff grows to hours); past that an operator looks at the job. */
export const INBOUND_EVENTS_ATTEMPTS = 12;

/**
 * The most jobs behind a running one that it applies with its own in one transaction: big
 * enough that a backlog costs few commits, small enough that a transaction stays short.
 */
export const INBOUND_JOBS_PER_TRANSACTION = 200;

/**
 * Applies a conversation's events from one delivery, one after another. The webhook stores
 * these jobs itself, before answering Meta; jobs of one conversation share an ordered named
 * queue, so deliveries apply one at a time and in order, also while one waits for a retry. (A job per event would not keep their order: graphile-worker
 * orders a queue by run_at, which is the same for every job added in one statement.)
 *
 * A backlog is applied in batches: a job on its first run takes the jobs queued right behind it
 * (its queue is locked to it, so they are next), and those next in line in the other inbound
 * queues no worker is busy with, and applies all of them in one transaction, which also deletes
 * them. If that transaction fails, nothing of it stays, and the job applies
 * its own events alone, as a job that failed alone is retried and holds its queue's line.
 */
@Injectable()
export class InboundEventJob implements OnModuleInit {
  private readonly logger = new Logger('InboundEvents');

  constructor(
    private readonly jobs: JobQueue,
    private readonly inbound: InboundEventService,
    private readonly metrics: Metrics,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.jobs.register<ConversationEvents>(INBOUND_EVENTS_JOB, async (payload, context) => {
      if (await this.appliedTogether(payload, context)) return;
      try {
        await this.inbound.applyAll(payload);
      } catch (error) {
        if (context.isLastAttempt) this.metrics.webhookEventsProcessed(payload.channel, payload.events.length, 'failed');
        throw error;
      }
      this.metrics.webhookEventsProcessed(payload.channel, payload.events.length, 'processed');
    }, { ordered: true });
  }

  /** The job and the ones queued behind it in one transaction; false (nothing applied) if it failed. */
  private async appliedTogether(payload: ConversationEvents, context: JobContext): Promise<boolean> {
    const following = context.following;
    if (!following) return false;
    let applied: ConversationEvents[] = [];
    try {
      await this.dataSource.transaction(async (manager) => {
        const rest = await following.take<ConversationEvents>(manager, INBOUND_JOBS_PER_TRANSACTION, { alsoQueuesStartingWith: INBOUND_QUEUE_PREFIX });
        applied = [payload, ...rest];
        await this.inbound.applyTogether(manager, applied);
      });
    } catch (error) {
      this.logger.warn(`applying ${applied.length} conversation batches together failed (${(error as Error).message}): applying job ${context.jobId} alone`);
      return false;
    }
    for (const events of applied) this.metrics.webhookEventsProcessed(events.channel, events.events.length, 'processed');
    return true;
  }
}
