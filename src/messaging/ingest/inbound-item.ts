import type { MessageChannel } from '../message-channel';

/**
 * What a channel module hands the ingest: channel-neutral inbound items, mapped from its own
 * payloads. Every write they cause (contact, identity, conversation, message, receipts,
 * changes) is the ingest's; a channel adds a mapper and a sender, nothing else.
 */

/** Where inbound items belong: the organization, its channel, and its account on that channel. */
export interface InboundScope {
  organizationId: string;
  channel: MessageChannel;
  /** The organization's account the items came to: a Page id, an Instagram account id. */
  accountId: string;
}

/** Who an item's author is, seen from the organization's account. */
export type Party = 'contact' | 'page';

export interface InboundAttachment {
  type: string;
  /** A file to copy into our storage, if the attachment carries one. */
  url: string | null;
  /** Media shown from the channel's CDN and never copied (a story mention). */
  remoteUrl: string | null;
  /** When `remoteUrl` stops working (ms since the epoch). */
  remoteExpiresAt?: number | null;
  payload: Record<string, unknown> | null;
}

interface ItemBase {
  /** The person's id on the account (PSID, IGSID): the sender, or the recipient of an echo. */
  userId: string;
  /** Platform time of the item, ms since the epoch. */
  timestamp: number;
}

/** A message from the person, or an echo of one the account sent (`from: 'page'`). */
export interface MessageItem extends ItemBase {
  type: 'message';
  mid: string;
  from: Party;
  text: string | null;
  replyToMid: string | null;
  attachments: InboundAttachment[];
  /** Quick-reply payload (`quickReplyPayload`), referral, story reply, unsupported marker. */
  metadata: Record<string, unknown> | null;
}

/** A tap on a button the account sent. */
export interface PostbackItem extends ItemBase {
  type: 'postback';
  /** The channel's id, or one derived from sender and time when it gives none. */
  mid: string;
  title: string | null;
  metadata: Record<string, unknown>;
}

/** The person arrived through a link or an ad. */
export interface ReferralItem extends ItemBase {
  type: 'referral';
  mid: string;
  metadata: Record<string, unknown>;
}

export interface DeliveryItem extends ItemBase {
  type: 'delivery';
  /** Every outbound message sent at or before it. */
  watermark: number | null;
  mids: string[];
}

export interface ReadItem extends ItemBase {
  type: 'read';
  /** Everything at or before it. */
  watermark: number | null;
  /** This message and everything before it. */
  mid: string | null;
}

export interface ReactionItem extends ItemBase {
  type: 'reaction';
  mid: string;
  by: Party;
  action: 'react' | 'unreact';
  reaction: string | null;
  emoji: string | null;
}

export interface EditItem extends ItemBase {
  type: 'edit';
  mid: string;
  text: string | null;
  editCount: number;
}

export interface UnsendItem extends ItemBase {
  type: 'unsend';
  mid: string;
}

export type ConversationItem = MessageItem | PostbackItem | ReferralItem;
export type ReceiptItem = DeliveryItem | ReadItem;
export type MessageChange = ReactionItem | EditItem | UnsendItem;
export type InboundItem = ConversationItem | ReceiptItem | MessageChange;
