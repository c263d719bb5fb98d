import { Injectable, OnModuleInit } from '@nestjs/common';
import { InboundQueue } from '../../../jobs/inbound-queue';
import { Metrics } from '../../../metrics/metrics.service';
import { ConversationEvents } from '../mappers/webhook-delivery';
import { InboundEventService } from '../services/inbound-event.service';

/** The inbound work of a conversation's events from one delivery. */
export const INBOUND_EVENTS_JOB = 'meta.inbound.events';

/** Retries of one conversation's events (backoff grows to hours); past that an operator looks at the row. */
export const INBOUND_EVENTS_ATTEMPTS = 12;

/**
 * Applies a conversation's events from one delivery, one after another. The webhook stores them
 * as a row of the inbound queue, in the conversation's lane, before answering Meta, so a
 * conversation's deliveries apply one at a time and in order, also while one waits for a retry.
 * A batch applies many conversations' rows in one transaction; if that fails, each row is applied
 * alone (an item the database refuses is passed over there, see `IngestService.apply`).
 */
@Injectable()
export class InboundEventJob implements OnModuleInit {
  constructor(
    private readonly queue: InboundQueue,
    private readonly inbound: InboundEventService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.queue.register<ConversationEvents>(INBOUND_EVENTS_JOB, {
      maxAttempts: INBOUND_EVENTS_ATTEMPTS,
      applyTogether: (manager, payloads) => this.inbound.applyTogether(manager, payloads),
      applyAlone: (payload) => this.inbound.applyAll(payload),
      applied: (payloads) => {
        for (const events of payloads) this.metrics.webhookEventsProcessed(events.channel, events.events.length, 'processed');
      },
      gaveUp: (events) => this.metrics.webhookEventsProcessed(events.channel, events.events.length, 'failed'),
    });
  }
}
