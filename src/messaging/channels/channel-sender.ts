import type { EntityManager } from 'typeorm';
import type { GraphErrorDetails } from '../entities/message.entity';
import type { MessageChannel } from '../message-channel';

/** Meta's messaging types; `MESSAGE_TAG` needs a tag (we only allow `HUMAN_AGENT`). */
export enum MessagingType {
  Response = 'RESPONSE',
  Update = 'UPDATE',
  MessageTag = 'MESSAGE_TAG',
}

export enum MessageTag {
  HumanAgent = 'HUMAN_AGENT',
}

/** Who a channel call is for: a contact of an organization on one channel. */
export interface ChannelTarget {
  organizationId: string;
  contactId: string;
  channel: MessageChannel;
}

/** A tappable answer under a text; the customer's tap comes back as a message with `payload`. */
export interface QuickReply {
  title: string;
  payload: string;
}

export type MessageButton = { type: 'postback'; title: string; payload: string } | { type: 'web_url'; title: string; url: string };

/** The interactive parts a text send may carry, before a channel says whether it can. */
export interface RichText {
  text?: string;
  quickReplies?: QuickReply[];
  buttons?: MessageButton[];
}

/** What one channel call carries: a text (with its quick replies or buttons), or one stored file. */
export type OutboundContent =
  | { kind: 'text'; text: string; quickReplies: QuickReply[]; buttons: MessageButton[] }
  | { kind: 'attachment'; storageKey: string; mimeType: string | null };

/**
 * Where the channel reaches a contact, as found when a send was accepted: the channel account
 * (a Page id, an Instagram account id) and the contact's id on it. The send job hands it back so
 * the channel need not look it up again; a channel ignores it once its account changed.
 */
export interface ChannelAddress {
  account: string;
  recipientId: string;
}

/** A contact's id on one account of a channel (`contact_identities`), as messaging already read it. */
export interface KnownIdentity {
  account: string;
  externalId: string;
}

export interface OutboundOptions {
  messagingType: MessagingType;
  tag: MessageTag | null;
  /** The turn a `ChannelBusyError` handed out for this call, given back when it is due. */
  turn?: string | null;
  /** What `checkReady` answered for this contact when the send was accepted. */
  address?: ChannelAddress | null;
}

export type SenderAction = 'typing_on' | 'typing_off' | 'mark_seen';

/** A reaction as the channel will send it, and as we keep it on the message. */
export interface ChannelReaction {
  /** The named reaction (like, love, …) or `other` for an emoji without a name. */
  reaction: string;
  emoji: string | null;
  /** What goes on the wire (an emoji for Messenger, `love` for Instagram). */
  wireValue: string;
}

/** A private reply as the platform answered it: its message id and the commenter's user id. */
export interface SentPrivateReply {
  externalId: string;
  recipientId: string;
}

export interface ResolvedParticipant {
  contactId: string;
  created: boolean;
}

/**
 * The channel cannot take this call now without making the worker wait (its account's rate-limit
 * slot is later, or the account already has as many calls in flight as it may hold workers):
 * nothing was sent. Try again at `retryAt`, giving back `turn` (a slot the channel reserved for
 * it, or null).
 */
export class ChannelBusyError extends Error {
  constructor(
    readonly retryAt: Date,
    readonly turn: string | null,
  ) {
    super(`the channel is busy until ${retryAt.toISOString()}`);
    this.name = 'ChannelBusyError';
  }
}

/**
 * A failed channel call, in terms the messaging module acts on without knowing the channel:
 * retry or not, whether the channel's credentials died, what to store and what to tell a person.
 */
export class ChannelSendError extends Error {
  constructor(
    readonly transient: boolean,
    readonly credentialsExpired: boolean,
    readonly details: GraphErrorDetails,
    readonly userMessage: string,
    /** The channel account the call went through (a Page id), for the logs. */
    readonly account: string | null = null,
  ) {
    super(details.message);
    this.name = 'ChannelSendError';
  }
}

/**
 * One channel's outbound side. Implementations are registered in `ChannelRegistry` by their
 * module; they refuse with `DomainError` (contract strings) and fail calls with `ChannelSendError`.
 */
export interface ChannelSender {
  /**
   * The refusals a send gets before anything is queued: connection first, then the contact.
   * Answers where the contact is reached. `identities`, when given, are all of the contact's ids
   * on the target's channel, newest first: the channel picks its account's from them instead of
   * reading them again.
   */
  checkReady(target: ChannelTarget, identities?: KnownIdentity[]): Promise<ChannelAddress>;
  /** Refuses (422, saying why) quick replies or buttons this channel cannot carry. */
  checkContent(channel: MessageChannel, content: RichText): void;
  /** Sends one message; returns the platform's message id. */
  send(target: ChannelTarget, content: OutboundContent, options: OutboundOptions): Promise<string>;
  /** Maps a named reaction or an emoji to what this channel accepts (refuses what it cannot send). */
  reactionFor(channel: MessageChannel, input: string): ChannelReaction;
  /** Reacts to (or, with null, unreacts from) a contact's message. */
  react(target: ChannelTarget, externalMessageId: string, reaction: ChannelReaction | null): Promise<void>;
  senderAction(target: ChannelTarget, action: SenderAction): Promise<void>;
  /** The refusals a private reply gets before anything is queued: the connection only (no contact yet). */
  checkAccountReady(organizationId: string, channel: MessageChannel): Promise<void>;
  /** Sends one private reply to a comment's author; the answer names who that is. */
  sendPrivateReply(organizationId: string, channel: MessageChannel, commentExternalId: string, text: string): Promise<SentPrivateReply>;
  /** The contact behind a platform user id on the organization's connected account (made if new). */
  resolveParticipant(organizationId: string, channel: MessageChannel, externalId: string, manager?: EntityManager): Promise<ResolvedParticipant>;
}
