import { Injectable } from '@nestjs/common';
import { GraphApiClient } from './graph-api.client';
import { GraphErrorKind, MetaApiError } from './graph-error';
import { MetaRateLimiter, SendLane } from './meta-rate-limiter';
import { isHeavyMedia, MetaAttachmentType } from '../mappers/mime-type';

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
}

interface SendApiAnswer {
  recipient_id?: string;
  message_id: string;
}

type MessagePayload = { text: string } | { attachment: { type: MetaAttachmentType; payload: { url: string; is_reusable: false } } };

/**
 * Meta's Send API: the seed's four operations (Messenger / Instagram × text / attachment), each
 * answering Meta's message id, plus sender actions and reactions. Messenger goes to
 * `me/messages`, Instagram to `{ig_account_id}/messages`, both with the Page token. Every call
 * waits for the Page's rate-limit slot; a rate-limit answer slows the Page down.
 */
@Injectable()
export class MetaSendService {
  constructor(
    private readonly graph: GraphApiClient,
    private readonly limiter: MetaRateLimiter,
  ) {}

  sendMessengerMessage(credentials: SendCredentials, psid: string, text: string, options: SendOptions): Promise<string> {
    return this.sendMessage(credentials, 'me/messages', psid, { text }, options, SendLane.Standard);
  }

  sendMessengerAttachment(credentials: SendCredentials, psid: string, type: MetaAttachmentType, url: string, options: SendOptions): Promise<string> {
    return this.sendMessage(credentials, 'me/messages', psid, attachment(type, url), options, laneOf(type));
  }

  sendInstagramMessage(igAccountId: string, credentials: SendCredentials, igsid: string, text: string, options: SendOptions): Promise<string> {
    return this.sendMessage(credentials, `${igAccountId}/messages`, igsid, { text }, options, SendLane.Standard);
  }

  sendInstagramAttachment(
    igAccountId: string,
    credentials: SendCredentials,
    igsid: string,
    type: MetaAttachmentType,
    url: string,
    options: SendOptions,
  ): Promise<string> {
    return this.sendMessage(credentials, `${igAccountId}/messages`, igsid, attachment(type, url), options, laneOf(type));
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

  private async sendMessage(
    credentials: SendCredentials,
    path: string,
    recipientId: string,
    message: MessagePayload,
    options: SendOptions,
    lane: SendLane,
  ): Promise<string> {
    const body: Record<string, unknown> = { recipient: { id: recipientId }, messaging_type: options.messagingType, message };
    if (options.tag) body.tag = options.tag;
    const answer = await this.call<SendApiAnswer>(credentials, path, body, lane);
    if (!answer?.message_id) throw new MetaApiError('The Send API answered without a message_id', null, null, null, null, 502);
    return answer.message_id;
  }

  private async call<T>(credentials: SendCredentials, path: string, body: unknown, lane: SendLane): Promise<T> {
    await this.limiter.acquire(credentials.pageId, lane);
    try {
      return await this.graph.request<T>({
        method: 'POST',
        path,
        accessToken: credentials.pageAccessToken,
        appSecret: credentials.appSecret,
        body,
      });
    } catch (error) {
      if (error instanceof MetaApiError && error.kind === GraphErrorKind.RateLimited) await this.limiter.slowDown(credentials.pageId);
      throw error;
    }
  }
}

function attachment(type: MetaAttachmentType, url: string): MessagePayload {
  return { attachment: { type, payload: { url, is_reusable: false } } };
}

function laneOf(type: MetaAttachmentType): SendLane {
  return isHeavyMedia(type) ? SendLane.Media : SendLane.Standard;
}
