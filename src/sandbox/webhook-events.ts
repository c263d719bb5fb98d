import { createHmac } from 'node:crypto';
import { newMessageId } from './routes/send.routes';
import type { WebhookSignature } from './sandbox.types';

/** The headers Meta signs a delivery with: SHA-256 (current) and SHA-1 (legacy). */
export function webhookSignatureHeaders(rawBody: string, appSecret: string, signature: WebhookSignature = 'valid'): Record<string, string> {
  if (signature === 'missing') return {};
  const secret = signature === 'valid' ? appSecret : `${appSecret}-wrong`;
  return {
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`,
    'x-hub-signature': `sha1=${createHmac('sha1', secret).update(rawBody).digest('hex')}`,
  };
}

export interface InboundMessageInput {
  channel: 'messenger' | 'instagram';
  /** The Page id (Messenger) or Instagram account id (Instagram) that receives it. */
  recipientId: string;
  /** PSID or IGSID of the sender. */
  from: string;
  text?: string;
  attachments?: Array<{ type: string; payload?: Record<string, unknown> }>;
  mid?: string;
  timestamp?: number;
}

/** A webhook delivery carrying one inbound message, shaped as Meta sends it. */
export function inboundMessageEvent(input: InboundMessageInput): { object: 'page' | 'instagram'; entry: unknown[] } {
  const timestamp = input.timestamp ?? Date.now();
  const message: Record<string, unknown> = { mid: input.mid ?? newMessageId(input.channel === 'instagram') };
  if (input.text !== undefined) message.text = input.text;
  if (input.attachments) message.attachments = input.attachments;
  return {
    object: input.channel === 'instagram' ? 'instagram' : 'page',
    entry: [
      {
        id: input.recipientId,
        time: timestamp,
        messaging: [{ sender: { id: input.from }, recipient: { id: input.recipientId }, timestamp, message }],
      },
    ],
  };
}

export async function postSigned(
  target: string,
  body: object,
  appSecret: string,
  signature: WebhookSignature = 'valid',
): Promise<{ status: number; body: string }> {
  const raw = JSON.stringify(body);
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...webhookSignatureHeaders(raw, appSecret, signature) },
    body: raw,
  });
  return { status: response.status, body: await response.text() };
}

// ---------------------------------------------------------------------------------------------
// Builders of every Messenger / Instagram event the inbox handles, shaped as Meta sends them.
// An event is addressed by `account` (Page id or Instagram account id) and `user` (PSID/IGSID).
// ---------------------------------------------------------------------------------------------

export type WebhookPlatform = 'messenger' | 'instagram';

export interface Parties {
  account: string;
  user: string;
}

export interface RawEvent {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  [field: string]: unknown;
}

export interface WebhookEntryInput {
  account: string;
  messaging?: RawEvent[];
  standby?: RawEvent[];
  time?: number;
}

export function newMid(platform: WebhookPlatform): string {
  return newMessageId(platform === 'instagram');
}

/** A delivery of one or more entries (each its own Page / account, each with many events). */
export function webhookBody(platform: WebhookPlatform, entries: WebhookEntryInput[]): { object: 'page' | 'instagram'; entry: object[] } {
  return {
    object: platform === 'instagram' ? 'instagram' : 'page',
    entry: entries.map((e) => {
      const entry: Record<string, unknown> = { id: e.account, time: e.time ?? Date.now() };
      if (e.messaging) entry.messaging = e.messaging;
      if (e.standby) entry.standby = e.standby;
      return entry;
    }),
  };
}

/** One delivery with one entry holding these events in `messaging[]`. */
export function webhookOf(platform: WebhookPlatform, account: string, ...events: RawEvent[]): { object: 'page' | 'instagram'; entry: object[] } {
  return webhookBody(platform, [{ account, messaging: events }]);
}

const fromUser = (p: Parties, timestamp = Date.now()) => ({ sender: { id: p.user }, recipient: { id: p.account }, timestamp });
const fromAccount = (p: Parties, timestamp = Date.now()) => ({ sender: { id: p.account }, recipient: { id: p.user }, timestamp });

export interface MessageOptions {
  mid?: string;
  text?: string;
  timestamp?: number;
  quickReplyPayload?: string;
  replyToMid?: string;
  replyToStory?: { url: string; id: string };
  attachments?: Array<{ type: string; payload?: Record<string, unknown> | null }>;
  referral?: Record<string, unknown>;
  isUnsupported?: boolean;
}

/** A message the person sent to the Page / account. */
export function messageEvent(platform: WebhookPlatform, p: Parties, o: MessageOptions = {}): RawEvent {
  const message: Record<string, unknown> = { mid: o.mid ?? newMid(platform) };
  if (o.text !== undefined) message.text = o.text;
  if (o.quickReplyPayload !== undefined) message.quick_reply = { payload: o.quickReplyPayload };
  if (o.replyToMid) message.reply_to = { mid: o.replyToMid };
  if (o.replyToStory) message.reply_to = { story: o.replyToStory };
  if (o.attachments) message.attachments = o.attachments;
  if (o.referral) message.referral = o.referral;
  if (o.isUnsupported) message.is_unsupported = true;
  return { ...fromUser(p, o.timestamp), message };
}

/** An echo: a message the Page / account sent (from our app, the Page inbox, or the IG app). */
export function echoEvent(
  platform: WebhookPlatform,
  p: Parties,
  o: { mid?: string; text?: string; appId?: number; timestamp?: number; attachments?: MessageOptions['attachments'] } = {},
): RawEvent {
  const message: Record<string, unknown> = { mid: o.mid ?? newMid(platform), is_echo: true };
  if (o.appId !== undefined) message.app_id = o.appId;
  if (o.text !== undefined) message.text = o.text;
  if (o.attachments) message.attachments = o.attachments;
  return { ...fromAccount(p, o.timestamp), message };
}

/** Messenger delivery receipt: everything sent at or before `watermark` (and `mids`, when given). */
export function deliveryEvent(p: Parties, o: { watermark: number; mids?: string[]; timestamp?: number }): RawEvent {
  const delivery: Record<string, unknown> = { watermark: o.watermark };
  if (o.mids) delivery.mids = o.mids;
  return { ...fromUser(p, o.timestamp), delivery };
}

/** Read receipt: Messenger by `watermark`, Instagram by `mid`. */
export function readEvent(p: Parties, o: { watermark?: number; mid?: string; timestamp?: number }): RawEvent {
  const read: Record<string, unknown> = {};
  if (o.watermark !== undefined) read.watermark = o.watermark;
  if (o.mid !== undefined) read.mid = o.mid;
  return { ...fromUser(p, o.timestamp), read };
}

export function reactionEvent(
  p: Parties,
  o: { mid: string; action?: 'react' | 'unreact'; reaction?: string; emoji?: string; byPage?: boolean; timestamp?: number },
): RawEvent {
  const action = o.action ?? 'react';
  const reaction: Record<string, unknown> = { mid: o.mid, action };
  if (action === 'react') {
    reaction.reaction = o.reaction ?? 'love';
    reaction.emoji = o.emoji ?? '\u2764\ufe0f';
  }
  return { ...(o.byPage ? fromAccount(p, o.timestamp) : fromUser(p, o.timestamp)), reaction };
}

export function postbackEvent(p: Parties, o: { title: string; payload: string; mid?: string; referral?: Record<string, unknown>; timestamp?: number }): RawEvent {
  const postback: Record<string, unknown> = { title: o.title, payload: o.payload };
  if (o.mid) postback.mid = o.mid;
  if (o.referral) postback.referral = o.referral;
  return { ...fromUser(p, o.timestamp), postback };
}

export function referralEvent(p: Parties, o: { ref?: string; source?: string; adId?: string; timestamp?: number } = {}): RawEvent {
  const referral: Record<string, unknown> = { ref: o.ref ?? 'welcome', source: o.source ?? 'SHORTLINK', type: 'OPEN_THREAD' };
  if (o.adId) referral.ad_id = o.adId;
  return { ...fromUser(p, o.timestamp), referral };
}

export function editEvent(p: Parties, o: { mid: string; text: string; numEdit: number; timestamp?: number }): RawEvent {
  return { ...fromUser(p, o.timestamp), message_edit: { mid: o.mid, text: o.text, num_edit: o.numEdit } };
}

/** Instagram unsend: the same mid, marked deleted. */
export function unsendEvent(p: Parties, o: { mid: string; timestamp?: number }): RawEvent {
  return { ...fromUser(p, o.timestamp), message: { mid: o.mid, is_deleted: true } };
}

// ---------------------------------------------------------------------------------------------
// Comment changes (`entry[].changes[]`): the Page `feed` field and the Instagram `comments` field.
// ---------------------------------------------------------------------------------------------

export type FeedVerb = 'add' | 'edited' | 'remove' | 'hide' | 'unhide';

export interface RawChange {
  field: string;
  value: Record<string, unknown>;
}

/** A Page `feed` change about a comment, shaped as Meta sends it (`created_time` in seconds). */
export function feedCommentChange(o: {
  pageId: string;
  postId: string;
  commentId: string;
  parentId?: string | null;
  from: { id: string; name?: string };
  message?: string;
  verb: FeedVerb;
  createdTime: number;
}): RawChange {
  const value: Record<string, unknown> = {
    from: { id: o.from.id, name: o.from.name ?? 'Sandbox User' },
    post: { status_type: 'added_photos', is_published: true, updated_time: new Date(o.createdTime).toISOString().replace(/\.\d{3}Z$/, '+0000'), permalink_url: `https://www.facebook.com/${o.postId}`, promotion_status: 'inactive', id: o.postId },
    post_id: o.postId,
    comment_id: o.commentId,
    created_time: Math.floor(o.createdTime / 1000),
    item: 'comment',
    parent_id: o.parentId ?? o.postId,
    verb: o.verb,
  };
  if (o.message !== undefined && o.verb !== 'remove') value.message = o.message;
  return { field: 'feed', value };
}

/** An Instagram `comments` change, shaped as Meta sends it (no time of its own). */
export function instagramCommentChange(o: { commentId: string; mediaId: string; parentId?: string | null; from: { id: string; username?: string }; text: string }): RawChange {
  const value: Record<string, unknown> = {
    from: { id: o.from.id, username: o.from.username ?? 'sandbox.user' },
    media: { id: o.mediaId, media_product_type: 'FEED' },
    id: o.commentId,
    text: o.text,
  };
  if (o.parentId) value.parent_id = o.parentId;
  return { field: 'comments', value };
}

/** A delivery with one entry holding these changes; Instagram's `entry.time` is in seconds. */
export function changesBody(platform: WebhookPlatform, account: string, changes: RawChange[], time = Date.now()): { object: 'page' | 'instagram'; entry: object[] } {
  return {
    object: platform === 'instagram' ? 'instagram' : 'page',
    entry: [{ id: account, time: platform === 'instagram' ? Math.floor(time / 1000) : time, changes }],
  };
}
