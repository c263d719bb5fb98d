import type { InboundItem, MessageItem } from '../../../messaging/ingest/inbound-item';

/**
 * Meta's webhook payloads as they arrive (`object: "page"` for Messenger, `"instagram"` for
 * Instagram DM), and what the mapper makes of them. Field names of the
 * raw types follow Meta's JSON; every field is optional because Meta adds and retires fields.
 */

export type WebhookObject = 'page' | 'instagram';

export interface WebhookBody {
  object: string;
  entry: WebhookEntry[];
}

export interface WebhookEntry {
  /** The Page id (Messenger) or the Instagram professional account id. */
  id: string;
  time?: number;
  messaging?: RawMessagingEvent[];
  /** Events of threads another app currently owns (handover protocol). */
  standby?: RawMessagingEvent[];
  /** Changes of subscribed fields: Page `feed`, Instagram `comments`. */
  changes?: RawChange[];
}

/** One `changes[]` entry: the subscribed field and its value, whose shape depends on the field. */
export interface RawChange {
  field?: string;
  value?: Record<string, unknown>;
}

export interface RawAttachment {
  type?: string;
  payload?: ({ url?: string; title?: string; sticker_id?: number } & Record<string, unknown>) | null;
  title?: string;
  url?: string;
}

export interface RawReferral {
  ref?: string;
  source?: string;
  type?: string;
  ad_id?: string;
  ads_context_data?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface RawMessage {
  mid?: string;
  text?: string;
  is_echo?: boolean;
  app_id?: number | string;
  metadata?: string;
  is_deleted?: boolean;
  is_unsupported?: boolean;
  quick_reply?: { payload?: string };
  reply_to?: { mid?: string; story?: { url?: string; id?: string } };
  attachments?: RawAttachment[];
  referral?: RawReferral;
}

export interface RawMessagingEvent {
  sender?: { id?: string };
  recipient?: { id?: string };
  timestamp?: number;
  message?: RawMessage;
  delivery?: { mids?: string[]; watermark?: number };
  read?: { watermark?: number; mid?: string };
  reaction?: { mid?: string; action?: 'react' | 'unreact'; reaction?: string; emoji?: string };
  postback?: { mid?: string; title?: string; payload?: string; referral?: RawReferral };
  referral?: RawReferral;
  message_edit?: { mid?: string; text?: string; num_edit?: number };
}

/**
 * What the mapper makes of one `messaging[]` event: an inbound item for the ingest, or a reason
 * to pass it over. A message keeps the app that sent an echo, to tell our own sends apart.
 */
export type MessageEvent = MessageItem & {
  /** The app that sent an echo (ours when we sent it). */
  appId: string | null;
};

export interface IgnoredEvent {
  type: 'ignored';
  reason: string;
}

export type InboundEvent = MessageEvent | Exclude<InboundItem, MessageItem> | IgnoredEvent;
