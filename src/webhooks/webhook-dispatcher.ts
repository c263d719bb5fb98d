import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClaimLoop } from '../common/claim-loop';
import { AppConfig } from '../config/app-config';
import type { DomainEventEnvelope } from '../events/domain-event.types';
import { DELIVERY_TIMEOUT_MS } from './integrator-http.client';

/**
 * The most requests one endpoint has open at once, across every instance: a hanging endpoint
 * holds this many of the deliveries in flight, and the rest of `WEBHOOK_CONCURRENCY` goes on
 * serving the other endpoints.
 */
export const MAX_OPEN_PER_ENDPOINT = 32;

/**
 * How long a claim keeps a delivery from other instances: past an attempt's own deadline, so only
 * a claim whose instance died (or lost the database mid-attempt) runs out, and then it is
 * attempted again.
 */
export const CLAIM_LEASE_MS = DELIVERY_TIMEOUT_MS + 20_000;

/** How often an instance looks for due deliveries without being woken: retries falling due, deliveries other instances made. */
export const DISPATCH_POLL_MS = 250;

/** A delivery claimed for an attempt, with its endpoint and event. */
export interface ClaimedDelivery {
  delivery_id: string;
  attempts: number;
  /** A person asked for this attempt: it goes even to a disabled endpoint. */
  manual: boolean;
  endpoint_id: string;
  url: string;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  event: DomainEventEnvelope;
}

/** The most deliveries one claim takes. */
const CLAIM_BATCH = 100;

/**
 * Due deliveries claimed for this instance: per endpoint, its oldest due deliveries no one holds,
 * up to what that endpoint has free of `MAX_OPEN_PER_ENDPOINT` (its open ones are the rows whose
 * claim has not run out); then the oldest of those up to `room`; each locked (SKIP LOCKED, so
 * instances share the work), claimed until `CLAIM_LEASE_MS` from now, and answered with its
 * endpoint and event as an attempt needs them. Instances claiming at the same moment may each see
 * an endpoint's free room before the other's claim commits, so the cap holds per claim, not to the
 * request.
 *
 * Without parameters, so it is planned at each claim (not prepared), as the inbound queue's claim:
 * the deliveries swing from none to thousands within seconds, faster than their statistics follow,
 * and a plan made while the table was nearly empty would stay with a backlog.
 */
const claimDue = (room: number) => `
  WITH due AS (
    SELECT d.id, d.next_attempt_at
    FROM webhook_endpoints w
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = w.id AND claimed_until > now()
    ) open
    CROSS JOIN LATERAL (
      SELECT id, next_attempt_at FROM webhook_deliveries
      WHERE endpoint_id = w.id AND status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until <= now())
      ORDER BY next_attempt_at LIMIT greatest(0, ${MAX_OPEN_PER_ENDPOINT} - open.n)
    ) d
    ORDER BY d.next_attempt_at LIMIT ${Math.trunc(room)}
  ), locked AS (
    SELECT id FROM webhook_deliveries WHERE id IN (SELECT id FROM due) FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE webhook_deliveries d SET claimed_until = now() + make_interval(secs => ${CLAIM_LEASE_MS / 1000})
    FROM locked l
    WHERE d.id = l.id AND d.status = 'pending' AND (d.claimed_until IS NULL OR d.claimed_until <= now())
    RETURNING d.id, d.attempts, d.manual, d.endpoint_id, d.event_id
  )
  SELECT c.id AS delivery_id, c.attempts, c.manual, c.endpoint_id, w.url, w.enabled, w.secret,
    w.previous_secret, w.previous_secret_expires_at,
    json_build_object('id', e.id, 'sequence', e.sequence, 'type', e.type, 'createdAt', e.created_at,
                      'organizationId', e.organization_id, 'data', e.data) AS event
  FROM claimed c
  JOIN domain_events e ON e.id = c.event_id
  JOIN webhook_endpoints w ON w.id = c.endpoint_id`;

/**
 * Hands out integrator deliveries: the delivery rows are the queue. It claims due deliveries in
 * one statement (endpoint, event and secrets with them), runs up to `WEBHOOK_CONCURRENCY`
 * attempts at once on this instance, and claims more as attempts end, when the relay numbers new
 * events here, and every `DISPATCH_POLL_MS` (retries falling due, deliveries another instance
 * made). An attempt's outcome clears its claim; a claim whose instance died runs out after
 * `CLAIM_LEASE_MS` and the delivery goes again (at least once).
 *
 * Nothing here uses the job workers inbound processing, sends or media work use, so a hanging
 * endpoint holds only its own deliveries back.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private attempt?: (delivery: ClaimedDelivery) => Promise<void>;
  private readonly loop = new ClaimLoop({ what: 'due deliveries', logger: this.logger, pollMs: DISPATCH_POLL_MS, claim: () => this.claimWhileRoom() });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** What an attempt does with a claimed delivery; it must clear the claim however it ends. */
  onDelivery(attempt: (delivery: ClaimedDelivery) => Promise<void>): void {
    this.attempt = attempt;
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop();
  }

  /** Looks for due deliveries now (new ones committed, a retry asked for). */
  wake(): void {
    this.loop.wake();
  }

  /** Claims while there is room, each claim up to `CLAIM_BATCH`, and starts an attempt for each delivery claimed. */
  private async claimWhileRoom(): Promise<void> {
    const attempt = this.attempt;
    if (!attempt) return;
    for (;;) {
      const room = Math.min(CLAIM_BATCH, this.config.webhookConcurrency - this.loop.running);
      if (this.loop.isStopped || room <= 0) return;
      const claimed: ClaimedDelivery[] = await this.dataSource.query(claimDue(room));
      for (const delivery of claimed) {
        this.loop.track(
          attempt(delivery).catch((error: Error) =>
            this.logger.warn(`attempt of delivery ${delivery.delivery_id} broke (${error.message}); it goes again once its claim is released or runs out`),
          ),
        );
      }
      if (claimed.length < room) return;
    }
  }
}
