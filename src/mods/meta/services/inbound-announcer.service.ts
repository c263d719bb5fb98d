import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { Conversation } from '../../../messaging/entities/conversation.entity';
import { Message } from '../../../messaging/entities/message.entity';
import { MessageViews } from '../../../messaging/views/message-views.service';
import { RealtimePublisher } from '../../../realtime/realtime.publisher';
import { InboundEffects } from './inbound-effects';

/**
 * Pushes committed inbound changes to the organization's open inboxes, each as the whole record
 * REST shows. Records the work did not already hold are read in one query per kind. A failed
 * push is logged, never retried: the data is already stored.
 */
@Injectable()
export class InboundAnnouncerService {
  private readonly logger = new Logger('InboundRealtime');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly views: MessageViews,
    private readonly realtime: RealtimePublisher,
  ) {}

  async announce(organizationId: string, effects: InboundEffects): Promise<void> {
    try {
      const updated = [...effects.updatedMessages].filter((id) => !effects.createdMessages.has(id));
      const messages = await this.messages(organizationId, [...effects.createdMessages, ...updated], effects.known.messages);
      const conversations = await this.conversations(organizationId, [...effects.conversations], effects.known.conversations);
      const publishMessage = (id: string, event: 'message.created' | 'message.updated') => {
        const message = messages.get(id);
        if (message) this.realtime.publish(organizationId, event, this.views.message(message));
      };
      for (const id of effects.createdMessages) publishMessage(id, 'message.created');
      for (const id of updated) publishMessage(id, 'message.updated');
      for (const id of effects.conversations) {
        const conversation = conversations.get(id);
        if (conversation) this.realtime.publish(organizationId, 'conversation.updated', this.views.conversation(conversation));
      }
    } catch (error) {
      this.logger.warn(`realtime push failed: ${(error as Error).message}`);
    }
  }

  /** Every conversation of a contact (its profile changed). */
  async contactChanged(organizationId: string, contactId: string): Promise<void> {
    const rows = await this.dataSource.getRepository(Conversation).find({ where: { organizationId, contactId }, relations: { contact: true } });
    const effects = new InboundEffects();
    for (const row of rows) {
      effects.conversations.add(row.id);
      effects.known.conversations.set(row.id, row);
    }
    await this.announce(organizationId, effects);
  }

  private messages(organizationId: string, ids: string[], known: Map<string, Message>): Promise<Map<string, Message>> {
    return completed(known, ids, (missing) => this.dataSource.getRepository(Message).find({ where: { id: In(missing), organizationId }, relations: { attachments: true } }));
  }

  private conversations(organizationId: string, ids: string[], known: Map<string, Conversation>): Promise<Map<string, Conversation>> {
    return completed(known, ids, (missing) => this.dataSource.getRepository(Conversation).find({ where: { id: In(missing), organizationId }, relations: { contact: true } }));
  }
}

/** The known records plus the ones among `ids` that were not, read in one go. */
async function completed<T extends { id: string }>(known: Map<string, T>, ids: string[], read: (missing: string[]) => Promise<T[]>): Promise<Map<string, T>> {
  const missing = ids.filter((id) => !known.has(id));
  const records = new Map(known);
  if (missing.length > 0) for (const record of await read(missing)) records.set(record.id, record);
  return records;
}
