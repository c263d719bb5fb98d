import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../../../jobs/job-queue.service';
import { WebhookRouterService } from '../services/webhook-router.service';
import type { WebhookBody } from '../types/webhook.types';

export const WEBHOOK_INGEST_JOB = 'meta.webhook.ingest';

/** One signed delivery, exactly as Meta sent it, kept durably before we answered 200. */
export interface WebhookIngestPayload {
  body: WebhookBody;
  /** When it arrived (ms): the time of events Meta sent without a timestamp. */
  receivedAt: number;
}

/** Splits a delivery into one job per event, routed to its organization. */
@Injectable()
export class WebhookIngestJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly router: WebhookRouterService,
  ) {}

  onModuleInit(): void {
    this.jobs.register<WebhookIngestPayload>(WEBHOOK_INGEST_JOB, (payload) => this.router.fanOut(payload));
  }
}
