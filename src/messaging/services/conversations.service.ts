import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../../common/cursor';
import { notFound } from '../../common/domain-error';
import { MessageChannel } from '../message-channel';
import { ConversationView } from '../views/conversation.view';
import { SendRecordsService } from './send-records.service';

@Injectable()
export class ConversationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: SendRecordsService,
  ) {}

  /**
   * The inbox read the conversation: its unread count goes to 0 and open inboxes hear of it.
   * Nothing reaches the person (that is `/seen`, which calls the channel).
   */
  async markRead(organizationId: string, conversationId: string): Promise<ConversationView> {
    if (!isUuid(conversationId)) throw notFound('Conversation');
    return this.dataSource.transaction(async (manager) => {
      const [updated] = (await manager.query(
        `UPDATE conversations SET unread_count = 0, updated_at = now() WHERE id = $1 AND organization_id = $2 RETURNING id`,
        [conversationId, organizationId],
      )) as [{ id: string }[], number];
      if (updated.length === 0) throw notFound('Conversation');
      return this.records.recordConversationChanged(manager, organizationId, conversationId);
    });
  }

  /**
   * The id of the one conversation of (organization, contact, channel), made on first use. A
   * single upsert on the unique key, so parallel callers always get the same row; callers that
   * need more than the id read it themselves (most do not, so no second round trip here).
   */
  async findOrCreateId(
    organizationId: string,
    contactId: string,
    channel: MessageChannel,
    at: Date = new Date(),
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO conversations (organization_id, contact_id, channel, last_message_at)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT uq_conversations_org_contact_channel
       DO UPDATE SET organization_id = EXCLUDED.organization_id
       RETURNING id`,
      [organizationId, contactId, channel, at],
    );
    return rows[0].id;
  }
}
