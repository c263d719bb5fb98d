import { Injectable, Logger } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import { findInputProblem, INPUT_PROBLEM_MESSAGES, sanitized } from '../../../common/input-hygiene';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import { InboundQueue } from '../../../jobs/inbound-queue';
import { Metrics } from '../../../metrics/metrics.service';
import { safeEqual } from '../../../security/tokens';
import { INBOUND_EVENTS_JOB } from '../jobs/inbound-event.job';
import { INBOUND_COMMENTS_JOB } from '../jobs/inbound-comments.job';
import { CommentChanges, splitChanges } from '../mappers/comment-change.mapper';
import { ConversationEvents, splitDelivery } from '../mappers/webhook-delivery';
import { channelOfObject, isWebhookBody } from '../mappers/webhook-event.mapper';
import { isValidWebhookSignature } from './webhook-signature';

/**
 * The longest string kept from a delivery (texts, payloads, URLs): far above what Messenger and
 * Instagram let a person type (Meta caps the texts we send at 2,000 characters), so only a
 * forged or broken delivery is ever cut.
 */
export const MAX_INBOUND_STRING_LENGTH = 20_000;

/** A webhook delivery kept: its object, how many events and comment changes, the accounts they are for, and the rows of inbound work made. */
export interface AcceptedDelivery {
  object: string;
  events: number;
  commentChanges: number;
  accounts: string[];
  rows: number;
}

/**
 * The request path of Meta's webhook: verify, store, answer. Nothing here calls the Graph API
 * or reads the database; the delivery is stored as one row of inbound work per conversation (or
 * post), in one statement together with the deliveries that arrived meanwhile (group commit), so
 * Meta gets its 200 in milliseconds whatever the batch size, and only once the delivery is durable.
 */
@Injectable()
export class WebhookReceiverService {
  private readonly logger = new Logger('MetaWebhook');

  constructor(
    private readonly coreConf: CoreConfService,
    private readonly queue: InboundQueue,
    private readonly metrics: Metrics,
  ) {}

  /** Meta's subscription handshake: the challenge back when our verify token matches. */
  async verifySubscription(mode: unknown, token: unknown, challenge: unknown): Promise<string> {
    const expected = (await this.coreConf.view()).meta_messaging_verify_token;
    const ok = mode === 'subscribe' && typeof token === 'string' && typeof challenge === 'string' && !!expected && safeEqual(token, expected);
    if (!ok) throw new DomainError(DomainErrorCode.InvalidSignature, 'Webhook verification failed');
    return challenge;
  }

  /**
   * Checks the signature over the raw bytes before anything else, then keeps the delivery as
   * one row of inbound work per conversation or post, all committed together, in Meta's order (and after any delivery
   * that arrived earlier); a failed commit is an error answer, so Meta delivers again. Without
   * app credentials nothing can be verified, so the delivery is refused (403) like any
   * unverifiable one; Meta retries it for hours, so nothing is lost while an admin enters the
   * secret. Answers what was kept (for the request's log line), or null for an object we do not
   * handle.
   */
  async receive(rawBody: Buffer | undefined, signature: unknown, body: unknown): Promise<AcceptedDelivery | null> {
    const app = await this.coreConf.metaApp();
    if (!app || !isValidWebhookSignature(rawBody, signature, app.appSecret)) {
      this.metrics.webhookRefused(app ? 'invalid_signature' : 'app_not_configured');
      this.logger.warn(app ? 'refused a webhook delivery with a missing or wrong signature' : 'refused a webhook delivery: no Meta app configured');
      throw new DomainError(DomainErrorCode.InvalidSignature, 'Invalid webhook signature');
    }
    if (findInputProblem([body]) === 'too_deep') {
      throw new DomainError(DomainErrorCode.ValidationFailed, INPUT_PROBLEM_MESSAGES.too_deep);
    }
    // Kept, not refused: Meta would redeliver the same bytes for hours and every good event in
    // them would wait. NULs cannot be stored and no text Meta sends is anywhere near the bound.
    body = sanitized(body, MAX_INBOUND_STRING_LENGTH);
    if (!isWebhookBody(body)) {
      this.metrics.webhookRefused('malformed');
      throw new DomainError(DomainErrorCode.ValidationFailed, 'A webhook delivery must be an object with "object" and an "entry" array');
    }
    const channel = channelOfObject(body.object);
    if (!channel) {
      this.metrics.webhookIgnored();
      this.logger.log(`ignored a webhook delivery for object "${body.object}"`);
      return null;
    }
    const { batches, unroutable } = splitDelivery(body, channel, Date.now());
    if (unroutable > 0) this.logger.warn(`ignored ${unroutable} ${body.object} entr${unroutable === 1 ? 'y' : 'ies'} without an account id`);
    const comments = splitChanges(body, channel, Date.now());
    await this.queue.add<ConversationEvents | CommentChanges>([
      ...batches.map(({ lane, payload }) => ({ kind: INBOUND_EVENTS_JOB, lane, payload })),
      ...comments.map(({ lane, payload }) => ({ kind: INBOUND_COMMENTS_JOB, lane, payload })),
    ]);
    const events = batches.reduce((sum, { payload }) => sum + payload.events.length, 0);
    const changes = comments.reduce((sum, { payload }) => sum + payload.changes.length, 0);
    const accounts = [...new Set([...batches, ...comments].map(({ payload }) => payload.accountId))];
    this.metrics.webhookAccepted(channel, events + changes, unroutable);
    return { object: body.object, events, commentChanges: changes, accounts, rows: batches.length + comments.length };
  }
}
