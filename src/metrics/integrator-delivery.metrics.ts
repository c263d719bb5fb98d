import { Injectable } from '@nestjs/common';
import { Metrics } from './metrics.service';

/**
 * What integrator webhooks record after each attempt to deliver an event to an endpoint:
 * `succeeded` (a 2xx in time), `retrying` (failed, another attempt is scheduled) or `failed`
 * (given up). Counted as `meta_inbox_integrator_deliveries_total{outcome}`.
 */
export type IntegratorDeliveryOutcome = 'succeeded' | 'retrying' | 'failed';

@Injectable()
export class IntegratorDeliveryMetrics {
  constructor(private readonly metrics: Metrics) {}

  record(outcome: IntegratorDeliveryOutcome): void {
    this.metrics.integratorDelivery(outcome);
  }

  /** The delivery backlog at each scrape, as `read` finds it (`…_pending`, `…_due_age_seconds`). */
  watchBacklog(read: () => Promise<{ pending: number; dueAgeSeconds: number }>): void {
    this.metrics.addCollector(async () => {
      const { pending, dueAgeSeconds } = await read();
      this.metrics.integratorDeliveriesPending.set(pending);
      this.metrics.integratorDeliveriesDueAge.set(dueAgeSeconds);
    });
  }
}
