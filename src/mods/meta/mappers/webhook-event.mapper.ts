import { createHash } from 'node:crypto';
import { MessageChannel } from '../../../messaging/message-channel';
import type { Party } from '../../../messaging/ingest/inbound-item';
import type { InboundEvent, RawMessage, RawMessagingEvent, RawReferral, WebhookBody, WebhookEntry } from '../types/webhook.types';
import { mapAttachments } from './attachment.mapper';

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const idOf = (value: unknown): string | null => (typeof value === 'number' ? String(value) : str(value));

/** A delivery we can route: an object with a string `object` and an `entry` array of objects. */
export function isWebhookBody(body: unknown): body is WebhookBody {
  return isObject(body) && typeof body.object === 'string' && Array.isArray(body.entry) && body.entry.every(isObject);
}

/** `page` → Messenger, `instagram` → Instagram DM; anything else is not ours to handle. */
export function channelOfObject(object: string): MessageChannel | null {
  if (object === 'page') return MessageChannel.FacebookMessenger;
  if (object === 'instagram') return MessageChannel.InstagramDm;
  return null;
}

export interface EntryEvent {
  event: RawMessagingEvent;
  standby: boolean;
}

/** Every event of an entry, from `messaging[]` and `standby[]` alike, in delivery order. */
export function entryEvents(entry: WebhookEntry): EntryEvent[] {
  const pick = (list: unknown, standby: boolean): EntryEvent[] =>
    Array.isArray(list) ? list.filter(isObject).map((event) => ({ event: event as RawMessagingEvent, standby })) : [];
  return [...pick(entry.messaging, false), ...pick(entry.standby, true)];
}

/**
 * The person of the conversation an event belongs to: the sender, or the recipient when the
 * account itself is the sender (echoes, the Page's own reactions).
 */
export function conversationUserId(event: RawMessagingEvent, accountId: string): string | null {
  const sender = idOf(event.sender?.id);
  const recipient = idOf(event.recipient?.id);
  return sender === accountId ? recipient : sender;
}

/** Before Messenger existed; Meta's times are milliseconds since the epoch. */
const EARLIEST_PLAUSIBLE_TIME = Date.UTC(2004, 0, 1);
const CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

/**
 * A time Meta sent, or null when it sent none. One no date can hold or far outside
 * [2004, arrival + a day] (1e30, a time in seconds) is broken: the arrival time stands in, so the
 * event is still stored, in a sensible place.
 */
export function plausibleTime(value: unknown, receivedAt: number): number | null {
  if (typeof value !== 'number') return null;
  const plausible = Number.isFinite(value) && value >= EARLIEST_PLAUSIBLE_TIME && value <= receivedAt + CLOCK_SKEW_MS;
  return plausible ? value : receivedAt;
}

/** Meta counts edits from 1 (at most a handful); anything else is broken and counts as one edit more than none. */
function editCountOf(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? Math.min(value, MAX_EDIT_COUNT) : 1;
}

/** The largest edit count the `edit_count` column (a Postgres integer) holds. */
const MAX_EDIT_COUNT = 2_147_483_647;

/**
 * What tells a redelivery of an event without a mid from a new one: Meta's timestamp, or when it
 * sent none, a digest of the event's content — the same bytes every time, unlike our arrival time.
 */
function redeliveryKey(event: RawMessagingEvent, content: unknown): string {
  if (typeof event.timestamp === 'number' && Number.isFinite(event.timestamp)) return String(event.timestamp);
  return `sha256:${createHash('sha256').update(JSON.stringify(content) ?? '').digest('base64url')}`;
}

function referralMetadata(referral: RawReferral | undefined): Record<string, unknown> | undefined {
  return isObject(referral) ? { ...referral } : undefined;
}

function mapMessage(message: RawMessage, base: { userId: string; timestamp: number }, from: Party): InboundEvent {
  const mid = str(message.mid);
  if (!mid) return { type: 'ignored', reason: 'message without mid' };
  if (message.is_deleted === true) return { type: 'unsend', mid, ...base };
  const metadata: Record<string, unknown> = {};
  const quickReply = str(message.quick_reply?.payload);
  if (quickReply !== null) metadata.quickReplyPayload = quickReply;
  if (isObject(message.reply_to?.story)) metadata.replyToStory = { ...message.reply_to.story };
  const referral = referralMetadata(message.referral);
  if (referral) metadata.referral = referral;
  if (message.is_unsupported === true) metadata.unsupported = true;
  if (typeof message.metadata === 'string') metadata.echoMetadata = message.metadata;
  const isEcho = message.is_echo === true;
  return {
    type: 'message',
    mid,
    ...base,
    from: isEcho ? 'page' : from,
    appId: isEcho ? idOf(message.app_id) : null,
    text: typeof message.text === 'string' ? message.text : null,
    replyToMid: str(message.reply_to?.mid),
    attachments: mapAttachments(message.attachments, base.timestamp),
    metadata: Object.keys(metadata).length > 0 ? metadata : null,
  };
}

/**
 * One `messaging[]` / `standby[]` event → what it means for the inbox. Pure: unknown shapes
 * become `ignored` with a reason, never an exception.
 */
export function mapMessagingEvent(event: RawMessagingEvent, accountId: string, receivedAt: number): InboundEvent {
  const userId = conversationUserId(event, accountId);
  if (!userId) return { type: 'ignored', reason: 'event without sender/recipient' };
  const from: Party = idOf(event.sender?.id) === accountId ? 'page' : 'contact';
  const timestamp = plausibleTime(event.timestamp, receivedAt) ?? receivedAt;
  const base = { userId, timestamp };

  if (isObject(event.message)) return mapMessage(event.message, base, from);
  if (isObject(event.message_edit)) {
    const mid = str(event.message_edit.mid);
    if (!mid) return { type: 'ignored', reason: 'message_edit without mid' };
    const count = event.message_edit.num_edit;
    return { type: 'edit', mid, ...base, text: typeof event.message_edit.text === 'string' ? event.message_edit.text : null, editCount: editCountOf(count) };
  }
  if (isObject(event.reaction)) {
    const mid = str(event.reaction.mid);
    if (!mid) return { type: 'ignored', reason: 'reaction without mid' };
    const action = event.reaction.action === 'unreact' ? 'unreact' : 'react';
    return { type: 'reaction', mid, ...base, by: from, action, reaction: str(event.reaction.reaction), emoji: str(event.reaction.emoji) };
  }
  if (isObject(event.delivery)) {
    const watermark = plausibleTime(event.delivery.watermark, receivedAt);
    const mids = Array.isArray(event.delivery.mids) ? event.delivery.mids.filter((m): m is string => typeof m === 'string') : [];
    return { type: 'delivery', ...base, watermark, mids };
  }
  if (isObject(event.read)) {
    const watermark = plausibleTime(event.read.watermark, receivedAt);
    return { type: 'read', ...base, watermark, mid: str(event.read.mid) };
  }
  if (isObject(event.postback)) {
    const postback = event.postback;
    const metadata: Record<string, unknown> = { postback: { title: str(postback.title), payload: str(postback.payload) } };
    const referral = referralMetadata(postback.referral);
    if (referral) metadata.referral = referral;
    // Older postbacks carry no mid; sender + Meta's time identify a redelivery just as well.
    const mid = str(postback.mid) ?? `postback:${accountId}:${userId}:${redeliveryKey(event, postback)}`;
    return { type: 'postback', mid, ...base, title: str(postback.title), metadata };
  }
  if (isObject(event.referral)) {
    return { type: 'referral', mid: `referral:${accountId}:${userId}:${redeliveryKey(event, event.referral)}`, ...base, metadata: { referral: { ...event.referral } } };
  }
  const keys = Object.keys(event).filter((k) => !['sender', 'recipient', 'timestamp'].includes(k));
  return { type: 'ignored', reason: `unhandled event (${keys.join(', ') || 'empty'})` };
}
