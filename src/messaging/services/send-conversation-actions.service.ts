import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { notFound } from '../../common/domain-error';
import { OpenConversationDto } from '../api/conversation-actions.dto';
import { ChannelRegistry } from '../channels/channel-registry';
import { SenderAction } from '../channels/channel-sender';
import { Conversation } from '../entities/conversation.entity';
import { ConversationView } from '../views/conversation.view';
import { SendRecordsService } from './send-records.service';

/** Opening a conversation with a known PSID / IGSID, and the typing / seen signals of the Page. */
@Injectable()
export class SendConversationActionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly records: SendRecordsService,
  ) {}

  /** The conversation with that person, made (with its contact) on first call; `created` says which. */
  async open(organizationId: string, request: OpenConversationDto): Promise<{ created: boolean; conversation: ConversationView }> {
    const sender = this.registry.get(request.channel);
    return this.dataSource.transaction(async (manager) => {
      const { contactId } = await sender.resolveParticipant(organizationId, request.channel, request.participantExternalId, manager);
      if (request.participantName) {
        await manager.query(`UPDATE contacts SET display_name = $2, updated_at = now() WHERE id = $1 AND display_name IS NULL`, [
          contactId,
          request.participantName,
        ]);
      }
      const inserted: { id: string }[] = await manager.query(
        `INSERT INTO conversations (organization_id, contact_id, channel, last_message_at) VALUES ($1, $2, $3, now())
         ON CONFLICT ON CONSTRAINT uq_conversations_org_contact_channel DO NOTHING RETURNING id`,
        [organizationId, contactId, request.channel],
      );
      if (inserted.length > 0) {
        return { created: true, conversation: await this.records.recordConversationChanged(manager, organizationId, inserted[0].id) };
      }
      const existing = await manager.findOneByOrFail(Conversation, { organizationId, contactId, channel: request.channel });
      return { created: false, conversation: await this.records.conversationView(existing.id, manager) };
    });
  }

  async typing(organizationId: string, conversationId: string): Promise<void> {
    await this.signal(await this.find(organizationId, conversationId), 'typing_on');
  }

  /** Tells the person their messages were seen, and clears the conversation's unread count. */
  async seen(organizationId: string, conversationId: string): Promise<ConversationView> {
    const conversation = await this.find(organizationId, conversationId);
    await this.signal(conversation, 'mark_seen');
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE conversations SET unread_count = 0, updated_at = now() WHERE id = $1`, [conversation.id]);
      return this.records.recordConversationChanged(manager, organizationId, conversation.id);
    });
  }

  private async find(organizationId: string, conversationId: string): Promise<Conversation> {
    const conversation = isUUID(conversationId)
      ? await this.dataSource.getRepository(Conversation).findOneBy({ id: conversationId, organizationId })
      : null;
    if (!conversation) throw notFound('Conversation');
    return conversation;
  }

  private signal(conversation: Conversation, action: SenderAction): Promise<void> {
    const target = { organizationId: conversation.organizationId, contactId: conversation.contactId, channel: conversation.channel };
    return this.registry.get(conversation.channel).senderAction(target, action);
  }
}
