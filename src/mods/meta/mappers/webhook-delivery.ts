import type { MessageChannel } from '../../../messaging/message-channel';
import type { WebhookBody } from '../types/webhook.types';
import { conversationUserId, EntryEvent, entryEvents } from './webhook-event.mapper';

/** The inbound queue's lane of a conversation (`<account>:<person>`): its deliveries apply one at a time, in order. */
export const inboundLaneOf = (conversation: string): string => `meta:inbound:${conversation}`;

/** One conversation's events from one delivery, in the order Meta sent them. */
export interface ConversationEvents {
  channel: MessageChannel;
  /** The Page id or Instagram account id the entries were for. */
  accountId: string;
  /** When the delivery arrived (ms): the time of events Meta sent without a timestamp. */
  receivedAt: number;
  events: EntryEvent[];
}

export interface DeliverySplit {
  /**
   * One row of inbound work per conversation (account and person), in that conversation's lane:
   * one conversation's work applies one at a time, in order.
   */
  batches: { lane: string; payload: ConversationEvents }[];
  /** Entries without an account id: nothing can route them. */
  unroutable: number;
}

/**
 * Groups a verified delivery by conversation (account and person) without looking anything up,
 * so the webhook can store it as one row per conversation in one statement. The first-seen order
 * of conversations and Meta's order of events within each are kept.
 */
export function splitDelivery(body: WebhookBody, channel: MessageChannel, receivedAt: number): DeliverySplit {
  const byConversation = new Map<string, ConversationEvents>();
  let unroutable = 0;
  for (const entry of body.entry) {
    const accountId = entry.id === undefined || entry.id === null ? '' : String(entry.id);
    if (!accountId) {
      unroutable++;
      continue;
    }
    for (const item of entryEvents(entry)) {
      const conversation = `${accountId}:${conversationUserId(item.event, accountId) ?? 'unknown'}`;
      const batch = byConversation.get(conversation) ?? { channel, accountId, receivedAt, events: [] };
      batch.events.push(item);
      byConversation.set(conversation, batch);
    }
  }
  return { batches: [...byConversation].map(([conversation, payload]) => ({ lane: inboundLaneOf(conversation), payload })), unroutable };
}
