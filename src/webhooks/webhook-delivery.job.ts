import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue.service';
import { DELIVERIES_AT_ONCE_PER_LANE, WEBHOOK_DELIVERY_JOB, WEBHOOK_WORKERS, WebhookDeliveriesService, WebhookDeliveryPayload } from './webhook-deliveries.service';

export type { WebhookDeliveryPayload } from './webhook-deliveries.service';

/**
 * After its own, a delivery job attempts up to this many more due deliveries of its lane, a few
 * at once, rather than leaving each to a job fetch of its own.
 */
const DELIVERIES_PER_RUN = 50;

/**
 * One attempt of one delivery. Runs on the webhook workers (`WEBHOOK_CONCURRENCY`), apart from
 * the workers inbound processing and sends use, so endpoints that hang for their full 10 s
 * never hold those back.
 */
@Injectable()
export class WebhookDeliveryJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly deliveries: WebhookDeliveriesService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.registerIsolated<WebhookDeliveryPayload>(WEBHOOK_WORKERS, this.config.webhookConcurrency, WEBHOOK_DELIVERY_JOB, (payload) => this.deliveries.attempt(payload), {
      drainQueue: DELIVERIES_PER_RUN,
      drainTogether: DELIVERIES_AT_ONCE_PER_LANE,
    });
  }
}
