import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor, isUuid } from '../common/cursor';
import { notFound } from '../common/domain-error';
import { IntegratorDeliveryMetrics } from '../metrics/integrator-delivery.metrics';
import { EventRelayService } from '../events/event-relay.service';
import { isStatementRefusal } from '../database/pool-errors';
import { GroupCommit } from '../jobs/group-commit';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../messaging/api/page-query.dto';
import { MICROS_PARAM_AS_TIMESTAMP, microsOf } from '../messaging/services/keyset';
import { iso } from '../messaging/views/message.view';
import { AttemptOutcome, IntegratorHttpClient } from './integrator-http.client';
import { DISABLE_AFTER_FAILING_MS, nextAttemptAfter } from './retry-schedule';
import { WebhookDeliveryPageView, WebhookDeliveryView } from './webhook.view';
import { WebhookDelivery, WebhookDeliveryStatus } from './webhook-delivery.entity';
import { ClaimedDelivery, WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { signedHeaders } from './webhook-signer';

/** The most deliveries one statement settles. */
const DELIVERIES_PER_STATEMENT = 100;

/** How soon a delivery whose outcome could not be recorded goes again (its claim is released to then). */
const BROKEN_ATTEMPT_RETRY_MS = 5000;

interface Settlement {
  delivery: ClaimedDelivery;
  outcome: AttemptOutcome;
  at: Date;
  /** When the delivery goes again; null once it succeeded or is out of attempts. */
  next: Date | null;
}

/**
 * Durable delivery of the event log to integrators: one row per (event, endpoint), made in the
 * relay's transaction; the rows are the queue (`WebhookDispatcher` claims the due ones); each
 * attempt signed per Standard Webhooks; failures retried on the schedule in `retry-schedule.ts`;
 * an endpoint failing for 5 days disabled. Attempts never run on the job workers inbound
 * processing, sends or media work use.
 */
@Injectable()
export class WebhookDeliveriesService implements OnModuleInit {
  /** Attempts that end at the same moment are recorded in one statement. */
  private readonly settling = new GroupCommit<Settlement>({
    maxItems: DELIVERIES_PER_STATEMENT,
    write: (groups) => this.settleAll(groups.flat()),
    // A row refused (a trigger, a constraint) fails only its own attempt; the database away fails them all.
    mayBeOneCallers: isStatementRefusal,
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly relay: EventRelayService,
    private readonly dispatcher: WebhookDispatcher,
    private readonly endpoints: WebhookEndpointsService,
    private readonly http: IntegratorHttpClient,
    private readonly metrics: IntegratorDeliveryMetrics,
  ) {}

  onModuleInit(): void {
    this.dispatcher.onDelivery((delivery) => this.attempt(delivery));
    this.metrics.watchBacklog(async () => {
      const [backlog]: { pending: number; dueAgeSeconds: number }[] = await this.dataSource.query(
        `SELECT count(*)::int AS pending,
                coalesce(extract(epoch FROM now() - min(next_attempt_at)
                  FILTER (WHERE next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until <= now()))), 0)::float8 AS "dueAgeSeconds"
         FROM webhook_deliveries WHERE status = 'pending'`,
      );
      return backlog;
    });
    this.relay.addFanOut({
      // In the relay's numbering statement: a row for every enabled endpoint that wants each
      // event, due now; once that commits, this instance's dispatcher claims them.
      sql: (events, name) => `
        webhook_deliveries_made AS (
          INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, event_type, next_attempt_at)
          SELECT e.organization_id, w.id, e.id, e.type, now()
          FROM ${events} e
          JOIN webhook_endpoints w ON w.organization_id = e.organization_id AND w.enabled AND w.events && ARRAY['*', e.type]
          ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_event_endpoint DO NOTHING
          RETURNING 1
        ), ${name} AS (
          SELECT count(*) AS n FROM webhook_deliveries_made
        )`,
      committed: (count) => {
        if (count > 0) this.dispatcher.wake();
      },
    });
  }

  /**
   * One attempt of a claimed delivery: the POST, then its outcome recorded (attempts that end
   * at the same moment share the statement), which clears the claim. If the outcome cannot be
   * recorded, the claim is released so the delivery goes again shortly.
   */
  async attempt(delivery: ClaimedDelivery): Promise<void> {
    if (!delivery.enabled && !delivery.manual) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, claimed_until = NULL, error = 'the endpoint is disabled' WHERE id = $1 AND status = 'pending'`,
        [delivery.delivery_id],
      );
      return;
    }
    const now = new Date();
    const event = { ...delivery.event, sequence: Number(delivery.event.sequence), createdAt: new Date(delivery.event.createdAt).toISOString() };
    const body = JSON.stringify(event);
    const secrets = this.endpoints.signingSecrets(
      { secret: delivery.secret, previousSecret: delivery.previous_secret, previousSecretExpiresAt: delivery.previous_secret_expires_at },
      now,
    );
    const outcome = await this.http.post(delivery.url, signedHeaders(event.id, body, secrets, now), body);
    const next = outcome.ok ? null : nextAttemptAfter(delivery.attempts + 1, now);
    try {
      await this.settling.add([{ delivery, outcome, at: now, next }]);
    } catch (error) {
      await this.dataSource
        .query(`UPDATE webhook_deliveries SET claimed_until = now() + make_interval(secs => $2::float8 / 1000) WHERE id = $1 AND status = 'pending'`, [
          delivery.delivery_id,
          BROKEN_ATTEMPT_RETRY_MS,
        ])
        .catch(() => undefined);
      throw error;
    }
    this.metrics.record(outcome.ok ? 'succeeded' : next ? 'retrying' : 'failed');
  }

  /**
   * Records attempts' outcomes and the next attempts' times, clears their claims and, for an
   * endpoint that has failed for 5 days with no success among these, disables it — in one
   * statement (all or nothing). An endpoint that answered any of these with a 2xx is no longer
   * failing.
   */
  private async settleAll(settlements: Settlement[]): Promise<void> {
    const input = settlements.map(({ delivery, outcome, at, next }) => ({
      id: delivery.delivery_id,
      status: outcome.ok ? WebhookDeliveryStatus.Succeeded : next ? WebhookDeliveryStatus.Pending : WebhookDeliveryStatus.Failed,
      response_status: outcome.responseStatus,
      error: outcome.error,
      at: at.toISOString(),
      next: next?.toISOString() ?? null,
      endpoint_id: delivery.endpoint_id,
      ok: outcome.ok,
    }));
    await this.dataSource.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id uuid, status webhook_delivery_status, response_status int, error text, at timestamptz,
           next timestamptz, endpoint_id uuid, ok boolean)
       ), delivery AS (
         UPDATE webhook_deliveries d SET status = i.status, attempts = d.attempts + 1, response_status = i.response_status, error = i.error,
           last_attempt_at = i.at, next_attempt_at = i.next, claimed_until = NULL, manual = false
         FROM input i WHERE d.id = i.id
       ), outcomes AS (
         SELECT endpoint_id, bool_or(ok) AS ok, min(at) FILTER (WHERE NOT ok) AS first_failed, max(at) FILTER (WHERE NOT ok) AS last_failed
         FROM input GROUP BY endpoint_id
       )
       UPDATE webhook_endpoints w SET
         failing_since = CASE WHEN o.ok THEN NULL ELSE COALESCE(w.failing_since, o.first_failed) END,
         enabled = CASE WHEN NOT o.ok AND COALESCE(w.failing_since, o.first_failed) <= o.last_failed - make_interval(secs => $2::float8 / 1000) THEN false ELSE w.enabled END,
         updated_at = now()
       FROM outcomes o WHERE w.id = o.endpoint_id AND (NOT o.ok OR w.failing_since IS NOT NULL)`,
      [JSON.stringify(input), DISABLE_AFTER_FAILING_MS],
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

  /**
   * `POST …/deliveries/:id/retry`: attempted again now, whatever its state, even to a disabled
   * endpoint (an attempt in flight ends first: the claim stays).
   */
  async retry(organizationId: string, endpointId: string, deliveryId: string): Promise<void> {
    const endpoint = await this.endpoints.find(organizationId, endpointId);
    const [asked]: { n: number }[] = isUuid(deliveryId)
      ? await this.dataSource.query(
          `WITH asked AS (
             UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), manual = true WHERE id = $1 AND endpoint_id = $2 RETURNING 1
           ) SELECT count(*)::int AS n FROM asked`,
          [deliveryId, endpoint.id],
        )
      : [{ n: 0 }];
    if (asked.n === 0) throw notFound('Delivery');
    this.dispatcher.wake();
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
