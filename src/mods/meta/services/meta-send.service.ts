import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { ChannelBusyError } from '../../../messaging/channels/channel-sender';
import { GraphApiClient } from './graph-api.client';
import { GraphBatcher } from './graph-batcher';
import { GraphErrorKind, MetaApiError } from './graph-error';
import { MetaRateLimiter, SendLane } from './meta-rate-limiter';
import { isHeavyMedia } from '../mappers/mime-type';
import type { MetaMessage } from '../mappers/outbound-message';

/** What every Send API call needs: the Page (for its rate limit), its token and the app secret. */
export interface SendCredentials {
  pageId: string;
  pageAccessToken: string;
  /** Adds `appsecret_proof`; undefined only while the app is not configured. */
  appSecret?: string;
}

export interface SendOptions {
  messagingType: string;
  tag?: string | null;
  /**
   * A send job's call: instead of holding its worker while the Page is paced, slowed down or
   * busy, it throws `ChannelBusyError` (see `MetaRateLimiter`).
   */
  queued?: boolean;
  /** The turn a previous `ChannelBusyError` handed out for this call. */
  turn?: string | null;
}

/** A busy Page's queued call tries again this much later. */
const PAGE_BUSY_RETRY_MS = 250;

interface SendApiAnswer {
  recipient_id?: string;
  message_id: string;
  /** Present when the call saved its attachment for reuse (`is_reusable: true`). */
  attachment_id?: string;
}

/** What Meta answered to one message: its id and, for a file saved for reuse, the reusable id. */
export interface SentMessageAnswer {
  messageId: string;
  attachmentId: string | null;
}

/**
 * Meta's Send API: messages (texts, button templates, files by URL or by reusable id), each
 * answering Meta's message id, plus sender actions and reactions. Messenger goes to
 * `me/messages`, Instagram to `{ig_account_id}/messages`, both with the Page token. Every call
 * waits for the Page's rate-limit slot; a rate-limit answer slows the Page down.
 *
 * A slow Page must not take every send worker: this instance runs at most half its send workers'
 * calls (`SEND_WORKER_CONCURRENCY`) for one Page at once; a queued call beyond that is put back.
 * Calls to one Page that leave together go as one batch request (`GraphBatcher`,
 * `META_GRAPH_BATCH_SIZE`); a conversation's sends never do, as each waits for the one before it.
 */
@Injectable()
export class MetaSendService {
  private readonly inFlight = new Map<string, number>();
  private readonly perPageLimit: number;
  private readonly batcher: GraphBatcher;

  constructor(
    graph: GraphApiClient,
    private readonly limiter: MetaRateLimiter,
    config: AppConfig,
  ) {
    this.perPageLimit = Math.max(1, Math.floor(config.sendWorkerConcurrency / 2));
    this.batcher = new GraphBatcher(graph, config.metaGraphBatchSize);
  }

  sendMessengerMessage(credentials: SendCredentials, psid: string, text: string, options: SendOptions): Promise<string> {
    return this.messageIdOf(this.send(credentials, 'me/messages', psid, { text }, options));
  }

  sendInstagramMessage(igAccountId: string, credentials: SendCredentials, igsid: string, text: string, options: SendOptions): Promise<string> {
    return this.messageIdOf(this.send(credentials, `${igAccountId}/messages`, igsid, { text }, options));
  }

  /** One message on `path` (`me/messages` or `{ig_account_id}/messages`); audio and video wait in the media lane. */
  async send(credentials: SendCredentials, path: string, recipientId: string, message: MetaMessage, options: SendOptions): Promise<SentMessageAnswer> {
    const body: Record<string, unknown> = { recipient: { id: recipientId }, messaging_type: options.messagingType, message };
    if (options.tag) body.tag = options.tag;
    const answer = await this.call<SendApiAnswer>(credentials, path, body, laneOf(message), options);
    if (!answer?.message_id) throw new MetaApiError('The Send API answered without a message_id', null, null, null, null, 502);
    return { messageId: answer.message_id, attachmentId: typeof answer.attachment_id === 'string' && answer.attachment_id ? answer.attachment_id : null };
  }

  /**
   * A private reply to a comment: `recipient: {comment_id}` on `{page_id}/messages` (Messenger)
   * or `{ig_account_id}/messages` (Instagram). Meta answers who the commenter is (`recipient_id`).
   */
  async sendPrivateReply(credentials: SendCredentials, path: string, commentId: string, text: string): Promise<{ messageId: string; recipientId: string }> {
    const answer = await this.call<SendApiAnswer>(credentials, path, { recipient: { comment_id: commentId }, message: { text } }, SendLane.Standard);
    if (!answer?.message_id || !answer.recipient_id) throw new MetaApiError('The Send API answered a private reply without message_id and recipient_id', null, null, null, null, 502);
    return { messageId: answer.message_id, recipientId: answer.recipient_id };
  }

  /** `typing_on`, `typing_off` or `mark_seen` on `path` (`me/messages` or `{ig_account_id}/messages`). */
  async senderAction(credentials: SendCredentials, path: string, recipientId: string, action: string): Promise<void> {
    await this.call(credentials, path, { recipient: { id: recipientId }, sender_action: action }, SendLane.Standard);
  }

  /** Reacts with `reaction` (an emoji on Messenger, `love` on Instagram), or unreacts when null. */
  async react(credentials: SendCredentials, path: string, recipientId: string, messageId: string, reaction: string | null): Promise<void> {
    const body =
      reaction === null
        ? { recipient: { id: recipientId }, sender_action: 'unreact', payload: { message_id: messageId } }
        : { recipient: { id: recipientId }, sender_action: 'react', payload: { message_id: messageId, reaction } };
    await this.call(credentials, path, body, SendLane.Standard);
  }

  private async messageIdOf(answer: Promise<SentMessageAnswer>): Promise<string> {
    return (await answer).messageId;
  }

  private async call<T>(credentials: SendCredentials, path: string, body: Record<string, unknown>, lane: SendLane, options: Pick<SendOptions, 'queued' | 'turn'> = {}): Promise<T> {
    const { pageId } = credentials;
    const busy = this.inFlight.get(pageId) ?? 0;
    if (options.queued && busy >= this.perPageLimit) throw new ChannelBusyError(new Date(Date.now() + PAGE_BUSY_RETRY_MS), options.turn ?? null);
    this.inFlight.set(pageId, busy + 1);
    try {
      await this.limiter.acquire(pageId, lane, options);
      return await this.request<T>(credentials, path, body);
    } finally {
      const left = (this.inFlight.get(pageId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(pageId, left);
      else this.inFlight.delete(pageId);
    }
  }

  private async request<T>(credentials: SendCredentials, path: string, body: Record<string, unknown>): Promise<T> {
    try {
      return await this.batcher.call<T>({ accessToken: credentials.pageAccessToken, appSecret: credentials.appSecret }, { method: 'POST', path, body });
    } catch (error) {
      if (error instanceof MetaApiError && error.kind === GraphErrorKind.RateLimited) await this.limiter.slowDown(credentials.pageId);
      throw error;
    }
  }
}

function laneOf(message: MetaMessage): SendLane {
  if (!('attachment' in message)) return SendLane.Standard;
  const type = message.attachment.type;
  return type !== 'template' && isHeavyMedia(type) ? SendLane.Media : SendLane.Standard;
}
