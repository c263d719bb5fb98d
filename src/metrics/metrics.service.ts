import { Injectable } from '@nestjs/common';
import type { IntegratorDeliveryOutcome } from './integrator-delivery.metrics';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a webhook delivery was refused (the `reason` label). */
export type WebhookRefusal = 'invalid_signature' | 'app_not_configured' | 'malformed';

/** What became of one outbound Graph call of a send (the `status` label). */
export type SendOutcome = 'published' | 'failed_waiting_for_retry' | 'failed';

/**
 * Every metric this instance exposes at `GET /metrics`, on a registry of its own (tests run
 * several apps in one process). Callers record facts through the methods; `render()` asks the
 * collectors that read state (queue depth) at scrape time, then prints Prometheus text.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly collectors: (() => Promise<void>)[] = [];

  private readonly webhookDeliveries = new Counter({
    name: 'meta_inbox_webhook_deliveries_total',
    help: 'Webhook deliveries from Meta: accepted (stored), or refused by reason',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly webhookEvents = new Counter({
    name: 'meta_inbox_webhook_events_total',
    help: 'Webhook events: accepted (stored as jobs), ignored (no account id, unknown object), processed or failed (after the last try)',
    labelNames: ['channel', 'stage'] as const,
    registers: [this.registry],
  });
  private readonly sends = new Counter({
    name: 'meta_inbox_sends_total',
    help: 'Outbound channel calls of sends by resulting status, with the Meta error code of a failure ("none" without one)',
    labelNames: ['channel', 'status', 'code'] as const,
    registers: [this.registry],
  });
  private readonly graphDuration = new Histogram({
    name: 'meta_inbox_graph_request_duration_seconds',
    help: 'Graph API calls by method, path shape (ids as {id}) and HTTP status ("none" without an answer)',
    labelNames: ['method', 'path', 'status'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [this.registry],
  });
  private readonly jobCommitCallers = new Histogram({
    name: 'meta_inbox_job_group_commit_callers',
    help: 'Callers (webhook deliveries) whose jobs one add_jobs statement committed together',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly socketConnections = new Gauge({
    name: 'meta_inbox_socket_connections',
    help: 'socket.io connections open on this instance',
    registers: [this.registry],
  });
  private readonly integratorDeliveries = new Counter({
    name: 'meta_inbox_integrator_deliveries_total',
    help: 'Attempts to deliver an event to an integrator endpoint: succeeded, retrying (will be tried again) or failed (given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly integratorDeliveriesPending = new Gauge({
    name: 'meta_inbox_integrator_deliveries_pending',
    help: 'Integrator deliveries not yet done: due now, being attempted or scheduled for a retry (all instances)',
    registers: [this.registry],
  });
  readonly integratorDeliveriesDueAge = new Gauge({
    name: 'meta_inbox_integrator_deliveries_due_age_seconds',
    help: 'How long the integrator delivery that has been due longest has waited for its attempt (0 when none is due)',
    registers: [this.registry],
  });
  readonly jobsWaiting = new Gauge({
    name: 'meta_inbox_jobs_waiting',
    help: 'Jobs and rows of inbound work not yet done, by kind: ready or scheduled for a retry (all instances share the queues)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly jobsOldestAge = new Gauge({
    name: 'meta_inbox_jobs_oldest_age_seconds',
    help: 'Age of the oldest job or row of inbound work not yet done, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly jobsFailed = new Gauge({
    name: 'meta_inbox_jobs_failed',
    help: 'Jobs and rows of inbound work that used every attempt and wait for an operator, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'meta_inbox_' });
  }

  webhookAccepted(channel: string, events: number, ignored: number): void {
    this.webhookDeliveries.inc({ result: 'accepted', reason: 'none' });
    this.webhookEvents.inc({ channel, stage: 'accepted' }, events);
    if (ignored > 0) this.webhookEvents.inc({ channel, stage: 'ignored' }, ignored);
  }

  /** A delivery for an object we do not handle: acknowledged, nothing kept. */
  webhookIgnored(): void {
    this.webhookDeliveries.inc({ result: 'ignored', reason: 'unknown_object' });
  }

  webhookRefused(reason: WebhookRefusal): void {
    this.webhookDeliveries.inc({ result: 'refused', reason });
  }

  webhookEventsProcessed(channel: string, count: number, stage: 'processed' | 'failed'): void {
    this.webhookEvents.inc({ channel, stage }, count);
  }

  /** One group commit of jobs: how many callers' jobs it carried. */
  jobsCommitted(callers: number): void {
    this.jobCommitCallers.observe(callers);
  }

  sendSettled(channel: string, status: SendOutcome, code: number | null): void {
    this.sends.inc({ channel, status, code: code === null ? 'none' : String(code) });
  }

  graphCall(method: string, path: string, status: number | null, seconds: number): void {
    this.graphDuration.observe({ method, path: graphPathShape(path), status: status === null ? 'none' : String(status) }, seconds);
  }

  integratorDelivery(outcome: IntegratorDeliveryOutcome): void {
    this.integratorDeliveries.inc({ outcome });
  }

  /** A function that refreshes gauges from stored state, run at each scrape. */
  addCollector(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  async render(): Promise<string> {
    await Promise.all(this.collectors.map((collect) => collect()));
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** `123456/messages` → `{id}/messages`: one series per kind of call, not per Page or user. */
export function graphPathShape(path: string): string {
  return path
    .replace(/^\/+/, '')
    .split('?')[0]
    .split('/')
    .map((part) => (part === 'me' || /^[a-z_]+$/.test(part) ? part : '{id}'))
    .join('/');
}
