import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import type { OutboxEntry, RealtimeEmission } from '../../events/domain-event.types';
import { DomainEvents } from '../../events/domain-events.service';
import { Conversation } from '../entities/conversation.entity';
import { Message } from '../entities/message.entity';
import { MessageViews } from '../views/message-views.service';
import { InboundEffects } from './inbound-effects';

/**
 * Records what inbound work changed in the outbox, inside its transaction: each message as the
 * whole record REST shows (with its log event when it raises one), then the conversations.
 * Records the work did not already hold are read in one query per kind, through the transaction.
 */
@Injectable()
export class InboundRecorderService {
  constructor(
    private readonly views: MessageViews,
    private readonly events: DomainEvents,
  ) {}

  async record(manager: EntityManager, organizationId: string, effects: InboundEffects): Promise<void> {
    await this.events.record(manager, organizationId, await this.entries(manager, organizationId, effects));
  }

  /**
   * The outbox entries of what the work changed, without recording them: work that applies many
   * items in one transaction records all of an organization's entries in one statement.
   */
  async entries(manager: EntityManager, organizationId: string, effects: InboundEffects): Promise<OutboxEntry[]> {
    // A message created and changed by the same work is recorded once as it ends up, plus the
    // change's own log event (an unsend is still `message.deleted`).
    const updated = [...effects.updatedMessages].filter(([id, type]) => !effects.createdMessages.has(id) || type !== null);
    const messages = await this.messages(manager, organizationId, [...effects.createdMessages.keys(), ...updated.map(([id]) => id)], effects.known.messages);
    const conversations = await this.conversations(manager, organizationId, [...effects.conversations], effects.known.conversations);
    const entries: OutboxEntry[] = [];
    const entryFor = (id: string, type: OutboxEntry['type'], event: 'message.created' | 'message.updated') => {
      const message = messages.get(id);
      if (!message) return;
      const view = this.views.message(message);
      entries.push(type === null ? { type: null, realtime: [{ event, payload: view }] } : { type: type as 'message.received', object: view, realtime: [{ event }] });
    };
    for (const [id, type] of effects.createdMessages) entryFor(id, type, 'message.created');
    for (const [id, type] of updated) entryFor(id, type, 'message.updated');
    const conversationEvents: RealtimeEmission[] = [];
    for (const id of effects.conversations) {
      const conversation = conversations.get(id);
      if (conversation) conversationEvents.push({ event: 'conversation.updated', payload: this.views.conversation(conversation) });
    }
    if (conversationEvents.length > 0) entries.push({ type: null, realtime: conversationEvents });
    return entries;
  }

  /** Every conversation of a contact (its profile changed), in the transaction that changed it. */
  async contactChanged(manager: EntityManager, organizationId: string, contactId: string): Promise<void> {
    const rows = await manager.getRepository(Conversation).find({ where: { organizationId, contactId }, relations: { contact: true } });
    const effects = new InboundEffects();
    for (const row of rows) {
      effects.conversations.add(row.id);
      effects.known.conversations.set(row.id, row);
    }
    await this.record(manager, organizationId, effects);
  }

  private messages(manager: EntityManager, organizationId: string, ids: string[], known: Map<string, Message>): Promise<Map<string, Message>> {
    return completed(known, ids, (missing) => manager.getRepository(Message).find({ where: { id: In(missing), organizationId }, relations: { attachments: true } }));
  }

  private conversations(manager: EntityManager, organizationId: string, ids: string[], known: Map<string, Conversation>): Promise<Map<string, Conversation>> {
    return completed(known, ids, (missing) => manager.getRepository(Conversation).find({ where: { id: In(missing), organizationId }, relations: { contact: true } }));
  }
}

/** The known records plus the ones among `ids` that were not, read in one go. */
async function completed<T extends { id: string }>(known: Map<string, T>, ids: string[], read: (missing: string[]) => Promise<T[]>): Promise<Map<string, T>> {
  const missing = ids.filter((id) => !known.has(id));
  const records = new Map(known);
  if (missing.length > 0) for (const record of await read(missing)) records.set(record.id, record);
  return records;
}
