import type { Conversation } from '../../../messaging/entities/conversation.entity';
import type { Message } from '../../../messaging/entities/message.entity';

/** What one unit of inbound work changed, announced over realtime once its transaction commits. */
export class InboundEffects {
  readonly createdMessages = new Set<string>();
  readonly updatedMessages = new Set<string>();
  readonly conversations = new Set<string>();
  /**
   * Records the transaction already holds as they will commit (a message with its attachments, a
   * conversation with its contact): announced as they are, without reading them again.
   */
  readonly known = { messages: new Map<string, Message>(), conversations: new Map<string, Conversation>() };

  updated(ids: Iterable<string>): void {
    for (const id of ids) this.updatedMessages.add(id);
  }
}

/**
 * Ids from an `UPDATE … RETURNING id` run through `EntityManager.query`, which hands back
 * `[rows, affectedCount]` for UPDATE and DELETE (and plain rows for everything else).
 */
export function returnedIds(result: unknown): string[] {
  const rows = Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result;
  return Array.isArray(rows) ? rows.map((row: { id: string }) => row.id) : [];
}
