import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../../../jobs/job-queue.service';
import { Metrics } from '../../../metrics/metrics.service';
import type { ConversationEvents } from '../mappers/webhook-delivery';
import { InboundEventService } from '../services/inbound-event.service';

export const INBOUND_EVENTS_JOB = 'meta.inbound.events';

/** Retries of one conversation's events (backoff grows to hours); past that an operator looks at the job. */
export const INBOUND_EVENTS_ATTEMPTS = 12;

/**
 * Applies a conversation's events from one delivery, one after another. The webhook stores
 * these jobs itself, before answering Meta; jobs of one conversation share an ordered named
 * queue, so deliveries apply one at a time and in order, also while one waits for a retry. (A job per event would not keep their order: graphile-worker
 * orders a queue by run_at, which is the same for every job added in one statement.)
 */
@Injectable()
export class InboundEventJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly inbound: InboundEventService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.jobs.register<ConversationEvents>(INBOUND_EVENTS_JOB, async (payload, context) => {
      try {
        await this.inbound.applyAll(payload);
      } catch (error) {
        if (context.isLastAttempt) this.metrics.webhookEventsProcessed(payload.channel, payload.events.length, 'failed');
        throw error;
      }
      this.metrics.webhookEventsProcessed(payload.channel, payload.events.length, 'processed');
    }, { ordered: true });
  }
}
