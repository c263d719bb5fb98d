import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainEvents } from '../../events/domain-events.service';
import { ChannelRegistry } from '../channels/channel-registry';
import type { SentPrivateReply } from '../channels/channel-sender';
import type { Message } from '../entities/message.entity';
import { MessageChannel } from '../message-channel';
import { ConversationsService } from './conversations.service';
import { SendRecordsService } from './send-records.service';

/**
 * Someone to tell, in the transaction that moves it, when a private reply joins its conversation
 * (the comment it answers changed).
 */
export type PrivateReplyListener = (manager: EntityManager, organizationId: string, channel: MessageChannel, commentExternalId: string) => Promise<void>;

/** A private reply's move into the commenter's conversation once the platform has named them. */
@Injectable()
export class PrivateReplyRecordsService {
  private readonly listeners: PrivateReplyListener[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly conversations: ConversationsService,
    private readonly records: SendRecordsService,
    private readonly events: DomainEvents,
  ) {}

  onJoined(listener: PrivateReplyListener): void {
    this.listeners.push(listener);
  }

  /**
   * Meta answered: the record is published and joins the conversation of the contact with the
   * id Meta named (found or made). The conversation's activity moves, but not its 24-hour
   * window: only the customer's answer opens that.
   */
  async published(message: Message, sent: SentPrivateReply): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const { contactId } = await this.registry.get(message.channel).resolveParticipant(message.organizationId, message.channel, sent.recipientId, manager);
      const conversationId = await this.conversations.findOrCreateId(message.organizationId, contactId, message.channel, message.sentAt, manager);
      const [rows] = await manager.query(
        `UPDATE messages SET conversation_id = $2, external_id = $3, error = NULL, error_details = NULL, updated_at = now(),
           status = CASE WHEN status IN ('pending', 'failed_waiting_for_retry') THEN 'published'::message_status ELSE status END
         WHERE id = $1 RETURNING *`,
        [message.id, conversationId, sent.externalId],
      );
      await manager.query(`UPDATE conversations SET last_message_at = greatest(last_message_at, $2), updated_at = now() WHERE id = $1`, [
        conversationId,
        message.sentAt,
      ]);
      const [view] = await this.records.views([message.id], manager);
      const conversation = await this.records.conversationView(conversationId, manager);
      await this.events.record(manager, message.organizationId, [
        rows.length > 0 && rows[0].status === 'published'
          ? { type: 'message.sent', object: view, realtime: [{ event: 'message.updated' }] }
          : { type: null, realtime: [{ event: 'message.updated', payload: view }] },
        { type: null, realtime: [{ event: 'conversation.updated', payload: conversation }] },
      ]);
      for (const listener of this.listeners) await listener(manager, message.organizationId, message.channel, message.privateReplyToComment!);
    });
  }
}
