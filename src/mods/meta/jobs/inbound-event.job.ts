import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../../../jobs/job-queue.service';
import { MessageChannel } from '../../../messaging/message-channel';
import { InboundEventService } from '../services/inbound-event.service';
import type { RawMessagingEvent } from '../types/webhook.types';

export const INBOUND_EVENTS_JOB = 'meta.inbound.events';

export interface InboundEventPayload {
  organizationId: string;
  channel: MessageChannel;
  /** The Page id or Instagram account id the entry was for. */
  accountId: string;
  /** Came in `standby[]` (another app owns the thread). */
  standby: boolean;
  event: RawMessagingEvent;
  receivedAt: number;
}

/** One conversation's events of one delivery, in the order Meta sent them. */
export interface InboundEventsPayload {
  events: InboundEventPayload[];
}

/**
 * Applies a conversation's events from one delivery, one after another. Jobs of one
 * conversation also share a named queue, so deliveries apply one at a time. (A job per event
 * would not keep their order: graphile-worker orders a queue by run_at, which is the same for
 * every job added in one transaction.)
 */
@Injectable()
export class InboundEventJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly inbound: InboundEventService,
  ) {}

  onModuleInit(): void {
    this.jobs.register<InboundEventsPayload>(INBOUND_EVENTS_JOB, async ({ events }) => {
      for (const event of events) await this.inbound.process(event);
    });
  }
}
