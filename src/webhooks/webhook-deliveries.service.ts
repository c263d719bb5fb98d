import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor, isUuid } from '../common/cursor';
import { notFound } from '../common/domain-error';
import { IntegratorDeliveryMetrics } from '../metrics/integrator-delivery.metrics';
import type { DomainEventEnvelope } from '../events/domain-event.types';
import { EventRelayService } from '../events/event-relay.service';
import { JobQueue } from '../jobs/job-queue.service';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../messaging/api/page-query.dto';
import { MICROS_PARAM_AS_TIMESTAMP, microsOf } from '../messaging/services/keyset';
import { iso } from '../messaging/views/message.view';
import { AttemptOutcome, IntegratorHttpClient } from './integrator-http.client';
import { DISABLE_AFTER_FAILING_MS, nextAttemptAfter } from './retry-schedule';
import { WebhookDeliveryPageView, WebhookDeliveryView } from './webhook.view';
import { WebhookDelivery, WebhookDeliveryStatus } from './webhook-delivery.entity';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { signedHeaders } from './webhook-signer';

export const WEBHOOK_DELIVERY_JOB = 'webhooks.deliver';
export const WEBHOOK_WORKERS = 'webhooks';

export interface WebhookDeliveryPayload {
  deliveryId: string;
  /** A person asked for it: it is attempted even if failed or the endpoint is disabled. */
  manual?: boolean;
}

/**
 * Deliveries to one endpoint spread over this many named queues: one endpoint never has more
 * in flight (so a hanging one holds at most this many of the webhook workers), and each queue
 * keeps graphile-worker's one-at-a-time order.
 */
export const LANES_PER_ENDPOINT = 8;

/**
 * A lane's worker attempts up to this many due deliveries at once after its first: with one at
 * a time, an endpoint got at most eight, and the round trips of each attempt (claim, read, POST,
 * write) capped it near 550 deliveries a second in the bench. So one endpoint has at most
 * `LANES_PER_ENDPOINT` × this many requests open, and holds at most `LANES_PER_ENDPOINT` workers.
 */
export const DELIVERIES_AT_ONCE_PER_LANE = 4;

/** Unexpected errors (the database going away mid-attempt) are retried by the job queue itself. */
const JOB_ATTEMPTS = 5;

const laneOf = (endpointId: string, deliveryId: string) => `webhook:${endpointId}:${parseInt(deliveryId.slice(0, 8), 16) % LANES_PER_ENDPOINT}`;
const jobKeyOf = (deliveryId: string) => `webhook-delivery:${deliveryId}`;

interface DeliveryRow {
  delivery_id: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  endpoint_id: string;
  url: string;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  event: DomainEventEnvelope;
}

/**
 * Durable delivery of the event log to integrators: one row and one job per (event, endpoint),
 * made in the relay's transaction; each attempt signed per Standard Webhooks; failures retried on
 * the schedule in `retry-schedule.ts`; an endpoint failing for 5 days disabled. The jobs run on
 * workers of their own (`WEBHOOK_CONCURRENCY`), never on those inbound processing and sends use.
 */
@Injectable()
export class WebhookDeliveriesService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly relay: EventRelayService,
    private readonly jobs: JobQueue,
    private readonly endpoints: WebhookEndpointsService,
    private readonly http: IntegratorHttpClient,
    private readonly metrics: IntegratorDeliveryMetrics,
  ) {}

  onModuleInit(): void {
    this.relay.addFanOut({
      // In the relay's numbering statement: a row and a job for every enabled endpoint that wants
      // each event. It answers how many workers to wake: one per lane no worker is draining (a
      // draining worker takes the lane's new jobs itself), and one more if any lane is being
      // drained, in case its worker finished just before this commit. Waking a worker per job
      // sent most of the webhook workers to fetch in vain: a lane runs one job at a time.
      sql: (events, name, param) => `
        webhook_deliveries_made AS (
          INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, event_type, next_attempt_at)
          SELECT e.organization_id, w.id, e.id, e.type, now()
          FROM ${events} e
          JOIN webhook_endpoints w ON w.organization_id = e.organization_id AND w.enabled AND w.events && ARRAY['*', e.type]
          ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_event_endpoint DO NOTHING
          RETURNING id, endpoint_id
        ), webhook_delivery_lanes AS (
          SELECT id, 'webhook:' || endpoint_id || ':' || (('x' || lpad(substr(id::text, 1, 8), 16, '0'))::bit(64)::bigint % ${param(LANES_PER_ENDPOINT)}::int) AS lane
          FROM webhook_deliveries_made
        ), webhook_delivery_jobs AS (
          SELECT count(*) AS n
          FROM (SELECT array(
            SELECT ROW(${param(WEBHOOK_DELIVERY_JOB)}::text, json_build_object('deliveryId', id), lane,
                       NULL, ${param(JOB_ATTEMPTS)}::int, 'webhook-delivery:' || id, NULL, NULL)::graphile_worker.job_spec
            FROM webhook_delivery_lanes) AS specs) made
          -- No call for no deliveries: add_jobs would announce a job to every listening worker.
          CROSS JOIN LATERAL graphile_worker.add_jobs(made.specs)
          WHERE cardinality(made.specs) > 0
        ), ${name} AS (
          SELECT CASE WHEN jobs.n > 0 THEN lanes.idle + CASE WHEN lanes.draining THEN 1 ELSE 0 END ELSE 0 END AS n
          FROM webhook_delivery_jobs jobs, (
            SELECT count(*) FILTER (WHERE q.locked_at IS NULL) AS idle, bool_or(q.locked_at IS NOT NULL) AS draining
            FROM (SELECT DISTINCT lane FROM webhook_delivery_lanes) l
            LEFT JOIN graphile_worker._private_job_queues q ON q.queue_name = l.lane
          ) lanes
        )`,
      committed: (count) => this.jobs.wakeAfterCommit(undefined, WEBHOOK_DELIVERY_JOB, count),
    });
  }

  /** One attempt of a delivery (the job): one read, the POST, one write. */
  async attempt({ deliveryId, manual = false }: WebhookDeliveryPayload): Promise<void> {
    const [row]: DeliveryRow[] = await this.dataSource.query(
      `SELECT d.id AS delivery_id, d.status, d.attempts, d.endpoint_id, w.url, w.enabled, w.secret,
         w.previous_secret, w.previous_secret_expires_at,
         json_build_object('id', e.id, 'sequence', e.sequence, 'type', e.type, 'createdAt', e.created_at,
                           'organizationId', e.organization_id, 'data', e.data) AS event
       FROM webhook_deliveries d
       JOIN domain_events e ON e.id = d.event_id
       JOIN webhook_endpoints w ON w.id = d.endpoint_id
       WHERE d.id = $1`,
      [deliveryId],
    );
    if (!row || (row.status !== WebhookDeliveryStatus.Pending && !manual)) return;
    if (!row.enabled && !manual) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, error = 'the endpoint is disabled' WHERE id = $1 AND status = 'pending'`,
        [deliveryId],
      );
      return;
    }
    const now = new Date();
    const event = { ...row.event, sequence: Number(row.event.sequence), createdAt: new Date(row.event.createdAt).toISOString() };
    const body = JSON.stringify(event);
    const secrets = this.endpoints.signingSecrets(
      { secret: row.secret, previousSecret: row.previous_secret, previousSecretExpiresAt: row.previous_secret_expires_at },
      now,
    );
    const outcome = await this.http.post(row.url, signedHeaders(event.id, body, secrets, now), body);
    await this.settle(row, outcome, now);
  }

  /**
   * Records an attempt's outcome, schedules the next one and, after 5 days of failures, disables
   * the endpoint — in one statement (so one round trip per attempt, and all of it or nothing).
   */
  private async settle(row: DeliveryRow, outcome: AttemptOutcome, at: Date): Promise<void> {
    const attempts = row.attempts + 1;
    const next = outcome.ok ? null : nextAttemptAfter(attempts, at);
    const status = outcome.ok ? WebhookDeliveryStatus.Succeeded : next ? WebhookDeliveryStatus.Pending : WebhookDeliveryStatus.Failed;
    await this.dataSource.query(
      `WITH delivery AS (
         UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, response_status = $3, error = $4, last_attempt_at = $5, next_attempt_at = $6
         WHERE id = $1 RETURNING 1
       ), endpoint AS (
         UPDATE webhook_endpoints SET
           failing_since = CASE WHEN $8 THEN NULL ELSE COALESCE(failing_since, $5) END,
           enabled = CASE WHEN NOT $8 AND COALESCE(failing_since, $5) <= $9 THEN false ELSE enabled END,
            updated_at = now()
         WHERE id = $7 AND (NOT $8 OR failing_since IS NOT NULL) RETURNING 1
       )
       SELECT (SELECT count(*) FROM delivery) AS deliveries, (SELECT count(*) FROM endpoint) AS endpoints,
         CASE WHEN $6::timestamptz IS NOT NULL THEN
           (SELECT id FROM graphile_worker.add_job($10, json_build_object('deliveryId', $1::uuid), queue_name => $11, run_at => $6,
             max_attempts => $12, job_key => $13))
         END AS job`,
      [
        row.delivery_id,
        status,
        outcome.responseStatus,
        outcome.error,
        at,
        next,
        row.endpoint_id,
        outcome.ok,
        new Date(at.getTime() - DISABLE_AFTER_FAILING_MS),
        WEBHOOK_DELIVERY_JOB,
        laneOf(row.endpoint_id, row.delivery_id),
        JOB_ATTEMPTS,
        jobKeyOf(row.delivery_id),
      ],
    );
    this.metrics.record(outcome.ok ? 'succeeded' : next ? 'retrying' : 'failed');
  }

  async list(organizationId: string, endpointId: string, query: PageQueryDto): Promise<WebhookDeliveryPageView> {
    const endpoint = await this.endpoints.find(organizationId, endpointId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .addSelect(microsOf('d.created_at'), 'cursor_micros')
      .where('d.endpoint_id = :endpointId', { endpointId: endpoint.id })
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(limit + 1);
    if (query.cursor) qb.andWhere(`(d.created_at, d.id) < (${MICROS_PARAM_AS_TIMESTAMP}, :id)`, decodeCursor(query.cursor));
    const { entities, raw } = await qb.getRawAndEntities<{ d_id: string; cursor_micros: string }>();
    const kept = entities.slice(0, limit);
    const last = kept[kept.length - 1];
    const micros = new Map(raw.map((r) => [r.d_id, r.cursor_micros]));
    return { data: kept.map(view), nextCursor: entities.length > limit ? encodeCursor({ micros: micros.get(last.id)!, id: last.id }) : null };
  }

  /** `POST …/deliveries/:id/retry`: attempted again now, whatever its state. */
  async retry(organizationId: string, endpointId: string, deliveryId: string): Promise<void> {
    const endpoint = await this.endpoints.find(organizationId, endpointId);
    const delivery = isUuid(deliveryId) ? await this.dataSource.getRepository(WebhookDelivery).findOneBy({ id: deliveryId, endpointId: endpoint.id }) : null;
    if (!delivery) throw notFound('Delivery');
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() WHERE id = $1`, [delivery.id]);
      await this.schedule(delivery.id, endpoint.id, new Date(), true, manager);
    });
  }

  /** The delivery's one job, (re)scheduled: the job key replaces a later run already waiting. */
  private schedule(deliveryId: string, endpointId: string, runAt: Date, manual: boolean, manager: EntityManager): Promise<void> {
    return this.jobs.add<WebhookDeliveryPayload>(
      WEBHOOK_DELIVERY_JOB,
      manual ? { deliveryId, manual } : { deliveryId },
      { queue: laneOf(endpointId, deliveryId), runAt, jobKey: jobKeyOf(deliveryId), maxAttempts: JOB_ATTEMPTS },
      manager,
    );
  }
}

function view(delivery: WebhookDelivery): WebhookDeliveryView {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    attempts: delivery.attempts,
    status: delivery.status,
    responseStatus: delivery.responseStatus,
    error: delivery.error,
    lastAttemptAt: iso(delivery.lastAttemptAt),
    nextAttemptAt: iso(delivery.nextAttemptAt),
  };
}
