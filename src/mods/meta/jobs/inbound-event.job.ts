import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../../../jobs/job-queue.service';
import { MessageChannel } from '../../../messaging/message-channel';
import { InboundEventService } from '../services/inbound-event.service';
import type { RawMessagingEvent } from '../types/webhook.types';

export const INBOUND_EVENT_JOB = 'meta.inbound.event';

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

/** Applies one webhook event; jobs of one conversation share a queue so they apply in order. */
@Injectable()
export class InboundEventJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly inbound: InboundEventService,
  ) {}

  onModuleInit(): void {
    this.jobs.register<InboundEventPayload>(INBOUND_EVENT_JOB, (payload) => this.inbound.process(payload));
  }
}
