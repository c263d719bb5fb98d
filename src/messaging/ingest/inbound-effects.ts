import type { DomainEventType } from '../../events/domain-event.types';
import type { Conversation } from '../entities/conversation.entity';
import type { Message } from '../entities/message.entity';

/**
 * What one unit of inbound work changed, recorded in the outbox by `InboundRecorderService`
 * before its transaction commits: each message with the log event it raises (null: the socket
 * event alone), and the conversations whose counters or activity moved.
 */
export class InboundEffects {
  readonly createdMessages = new Map<string, DomainEventType | null>();
  readonly updatedMessages = new Map<string, DomainEventType | null>();
  readonly conversations = new Set<string>();
  /**
   * Records the transaction already holds as they will commit (a message with its attachments, a
   * conversation with its contact): recorded as they are, without reading them again.
   */
  readonly known = { messages: new Map<string, Message>(), conversations: new Map<string, Conversation>() };

  updated(ids: Iterable<string>, event: DomainEventType | null): void {
    for (const id of ids) {
      this.updatedMessages.set(id, event);
      // The copy kept when it was created no longer holds (an echo deleted in the same delivery).
      this.known.messages.delete(id);
    }
  }
}

/**
 * Rows from an `UPDATE … RETURNING` run through `EntityManager.query`, which hands back
 * `[rows, affectedCount]` for UPDATE and DELETE (and plain rows for everything else).
 */
export function returnedRows<T = { id: string }>(result: unknown): T[] {
  const rows = Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result;
  return Array.isArray(rows) ? (rows as T[]) : [];
}

export const returnedIds = (result: unknown): string[] => returnedRows(result).map((row) => row.id);
