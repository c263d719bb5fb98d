/**
 * Meta's webhook payloads as they arrive (`object: "page"` for Messenger, `"instagram"` for
 * Instagram DM), and the normalized events the inbound pipeline applies. Field names of the
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

/** Who the event's author is, seen from the organization's account. */
export type Party = 'contact' | 'page';

export interface InboundAttachment {
  type: string;
  /** A file to copy into our storage, if the attachment carries one. */
  url: string | null;
  /** Media shown from Meta's CDN and never copied (a story mention). */
  remoteUrl: string | null;
  payload: Record<string, unknown> | null;
}

interface EventBase {
  /** The PSID / IGSID of the person in the conversation (sender or, for echoes, recipient). */
  userId: string;
  /** Platform time of the event, ms since the epoch. */
  timestamp: number;
}

export interface MessageEvent extends EventBase {
  type: 'message';
  mid: string;
  /** `page` for echoes: sent by the Page/account from elsewhere (or by us). */
  from: Party;
  /** The app that sent an echo (ours when we sent it). */
  appId: string | null;
  text: string | null;
  replyToMid: string | null;
  attachments: InboundAttachment[];
  /** quick-reply payload, referral, story reply, unsupported marker. */
  metadata: Record<string, unknown> | null;
}

export interface PostbackEvent extends EventBase {
  type: 'postback';
  /** Meta's mid, or one derived from sender and time when Meta gives none. */
  mid: string;
  title: string | null;
  metadata: Record<string, unknown>;
}

export interface ReferralEvent extends EventBase {
  type: 'referral';
  mid: string;
  metadata: Record<string, unknown>;
}

export interface DeliveryEvent extends EventBase {
  type: 'delivery';
  watermark: number | null;
  mids: string[];
}

export interface ReadEvent extends EventBase {
  type: 'read';
  /** Messenger: everything at or before it. */
  watermark: number | null;
  /** Instagram: this message and everything before it. */
  mid: string | null;
}

export interface ReactionEvent extends EventBase {
  type: 'reaction';
  mid: string;
  by: Party;
  action: 'react' | 'unreact';
  reaction: string | null;
  emoji: string | null;
}

export interface EditEvent extends EventBase {
  type: 'edit';
  mid: string;
  text: string | null;
  editCount: number;
}

export interface UnsendEvent extends EventBase {
  type: 'unsend';
  mid: string;
}

export interface IgnoredEvent {
  type: 'ignored';
  reason: string;
}

export type InboundEvent =
  | MessageEvent
  | PostbackEvent
  | ReferralEvent
  | DeliveryEvent
  | ReadEvent
  | ReactionEvent
  | EditEvent
  | UnsendEvent
  | IgnoredEvent;
