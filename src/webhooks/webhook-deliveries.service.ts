import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor, isUuid } from '../common/cursor';
import { notFound } from '../common/domain-error';
import { IntegratorDeliveryMetrics } from '../metrics/integrator-delivery.metrics';
import type { DomainEventEnvelope } from '../events/domain-event.types';
import { EventRelayService } from '../events/event-relay.service';
import { BatchedReads } from '../jobs/batched-reads';
import { GroupCommit } from '../jobs/group-commit';
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

/** A delivery with its endpoint and event, as an attempt needs it. */
const READ_DELIVERIES = `SELECT d.id AS delivery_id, d.status, d.attempts, d.endpoint_id, w.url, w.enabled, w.secret,
    w.previous_secret, w.previous_secret_expires_at,
    json_build_object('id', e.id, 'sequence', e.sequence, 'type', e.type, 'createdAt', e.created_at,
                      'organizationId', e.organization_id, 'data', e.data) AS event
  FROM webhook_deliveries d
  JOIN domain_events e ON e.id = d.event_id
  JOIN webhook_endpoints w ON w.id = d.endpoint_id
  WHERE d.id = ANY($1::uuid[])`;

/** The most deliveries one statement reads or settles. */
const DELIVERIES_PER_STATEMENT = 100;

interface Settlement {
  row: DeliveryRow;
  outcome: AttemptOutcome;
  at: Date;
  /** When the delivery goes again; null once it succeeded or is out of attempts. */
  next: Date | null;
}

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
  /** Attempts that start at the same moment read their deliveries in one statement. */
  private readonly reading = new BatchedReads<string, DeliveryRow>({
    maxItems: DELIVERIES_PER_STATEMENT,
    read: async (ids) => {
      const rows: DeliveryRow[] = await this.dataSource.query(READ_DELIVERIES, [ids]);
      const byId = new Map(rows.map((row) => [row.delivery_id, row]));
      return ids.map((id) => byId.get(id));
    },
  });
  /** Attempts that end at the same moment are recorded in one statement. */
  private readonly settling = new GroupCommit<Settlement>({
    maxItems: DELIVERIES_PER_STATEMENT,
    write: (groups) => this.settleAll(groups.flat()),
  });

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
          -- Without a NOTIFY: this instance wakes its delivery workers once this commits (\`committed\`),
          -- the others find the jobs when they poll. Each job's key is its new delivery's.
          SELECT coalesce(sum(added.n), 0) AS n
          FROM (SELECT json_agg(json_build_object('identifier', ${param(WEBHOOK_DELIVERY_JOB)}::text, 'payload', json_build_object('deliveryId', id),
                  'queue_name', lane, 'max_attempts', ${param(JOB_ATTEMPTS)}::int, 'job_key', 'webhook-delivery:' || id)) AS specs
                FROM webhook_delivery_lanes) made
          CROSS JOIN LATERAL add_quiet_jobs_with_new_keys(made.specs) AS added(n)
          WHERE made.specs IS NOT NULL
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

  /**
   * One attempt of a delivery (the job): its read, the POST, its write; the reads and writes of
   * attempts running at the same moment share a statement.
   */
  async attempt({ deliveryId, manual = false }: WebhookDeliveryPayload): Promise<void> {
    const row = await this.reading.read(deliveryId);
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
    const next = outcome.ok ? null : nextAttemptAfter(row.attempts + 1, now);
    await this.settling.add([{ row, outcome, at: now, next }]);
    this.metrics.record(outcome.ok ? 'succeeded' : next ? 'retrying' : 'failed');
  }

  /**
   * Records attempts' outcomes, schedules the next attempts and, for an endpoint that has failed
   * for 5 days with no success among these, disables it — in one statement (all or nothing). An
   * endpoint that answered any of these with a 2xx is no longer failing.
   */
  private async settleAll(settlements: Settlement[]): Promise<void> {
    const input = settlements.map(({ row, outcome, at, next }) => ({
      id: row.delivery_id,
      status: outcome.ok ? WebhookDeliveryStatus.Succeeded : next ? WebhookDeliveryStatus.Pending : WebhookDeliveryStatus.Failed,
      response_status: outcome.responseStatus,
      error: outcome.error,
      at: at.toISOString(),
      next: next?.toISOString() ?? null,
      endpoint_id: row.endpoint_id,
      ok: outcome.ok,
      lane: laneOf(row.endpoint_id, row.delivery_id),
      job_key: jobKeyOf(row.delivery_id),
    }));
    await this.dataSource.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id uuid, status webhook_delivery_status, response_status int, error text, at timestamptz,
           next timestamptz, endpoint_id uuid, ok boolean, lane text, job_key text)
       ), delivery AS (
         UPDATE webhook_deliveries d SET status = i.status, attempts = d.attempts + 1, response_status = i.response_status, error = i.error,
           last_attempt_at = i.at, next_attempt_at = i.next
         FROM input i WHERE d.id = i.id
       ), outcomes AS (
         SELECT endpoint_id, bool_or(ok) AS ok, min(at) FILTER (WHERE NOT ok) AS first_failed, max(at) FILTER (WHERE NOT ok) AS last_failed
         FROM input GROUP BY endpoint_id
       ), endpoint AS (
         UPDATE webhook_endpoints w SET
           failing_since = CASE WHEN o.ok THEN NULL ELSE COALESCE(w.failing_since, o.first_failed) END,
           enabled = CASE WHEN NOT o.ok AND COALESCE(w.failing_since, o.first_failed) <= o.last_failed - make_interval(secs => $2::float8 / 1000) THEN false ELSE w.enabled END,
           updated_at = now()
         FROM outcomes o WHERE w.id = o.endpoint_id AND (NOT o.ok OR w.failing_since IS NOT NULL)
       )
       SELECT count(*) AS retries
       FROM (SELECT array(
         SELECT ROW($3::text, json_build_object('deliveryId', id), lane, next, $4::int, job_key, NULL, NULL)::graphile_worker.job_spec
         FROM input WHERE next IS NOT NULL) AS specs) made
       CROSS JOIN LATERAL graphile_worker.add_jobs(made.specs)
       WHERE cardinality(made.specs) > 0`,
      [JSON.stringify(input), DISABLE_AFTER_FAILING_MS, WEBHOOK_DELIVERY_JOB, JOB_ATTEMPTS],
    );
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
