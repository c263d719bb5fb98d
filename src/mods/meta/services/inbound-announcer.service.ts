import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conversation } from '../../../messaging/entities/conversation.entity';
import { Message } from '../../../messaging/entities/message.entity';
import { MessageViews } from '../../../messaging/views/message-views.service';
import { RealtimePublisher } from '../../../realtime/realtime.publisher';
import { InboundEffects } from './inbound-effects';

/**
 * Pushes committed inbound changes to the organization's open inboxes, each as the whole record
 * REST shows. A failed push is logged, never retried: the data is already stored.
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
      for (const id of effects.createdMessages) await this.message(organizationId, id, 'message.created');
      for (const id of effects.updatedMessages) {
        if (!effects.createdMessages.has(id)) await this.message(organizationId, id, 'message.updated');
      }
      for (const id of effects.conversations) await this.conversation(organizationId, id);
    } catch (error) {
      this.logger.warn(`realtime push failed: ${(error as Error).message}`);
    }
  }

  /** Every conversation of a contact (its profile changed). */
  async contactChanged(organizationId: string, contactId: string): Promise<void> {
    const rows = await this.dataSource.getRepository(Conversation).find({ select: { id: true }, where: { organizationId, contactId } });
    const effects = new InboundEffects();
    rows.forEach((row) => effects.conversations.add(row.id));
    await this.announce(organizationId, effects);
  }

  private async message(organizationId: string, id: string, event: 'message.created' | 'message.updated'): Promise<void> {
    const message = await this.dataSource.getRepository(Message).findOne({ where: { id, organizationId }, relations: { attachments: true } });
    if (message) this.realtime.publish(organizationId, event, this.views.message(message));
  }

  private async conversation(organizationId: string, id: string): Promise<void> {
    const conversation = await this.dataSource.getRepository(Conversation).findOne({ where: { id, organizationId }, relations: { contact: true } });
    if (conversation) this.realtime.publish(organizationId, 'conversation.updated', this.views.conversation(conversation));
  }
}
