import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { DomainError, DomainErrorCode, notFound } from '../../common/domain-error';
import { ChannelRegistry } from '../channels/channel-registry';
import { Conversation } from '../entities/conversation.entity';
import { Message, MessageDirection, MessageReaction } from '../entities/message.entity';
import { MessageView } from '../views/message.view';
import { SendRecordsService } from './send-records.service';

export const ONLY_INBOUND_REACTIONS = "Only a contact's (inbound) messages can be reacted to.";

/**
 * The Page's reaction to a contact's message. Meta keeps one reaction per reactor, so a new one
 * replaces the Page's earlier one on the record too (`by: 'page'`); the contact's stays.
 */
@Injectable()
export class SendReactionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly records: SendRecordsService,
  ) {}

  async react(organizationId: string, messageId: string, input: string): Promise<MessageView> {
    const { message, target } = await this.reactable(organizationId, messageId);
    const sender = this.registry.get(message.channel);
    const reaction = sender.reactionFor(message.channel, input);
    await sender.react(target, message.externalId!, reaction);
    return this.replacePageReaction(message, { by: 'page', reaction: reaction.reaction, emoji: reaction.emoji });
  }

  async unreact(organizationId: string, messageId: string): Promise<MessageView> {
    const { message, target } = await this.reactable(organizationId, messageId);
    await this.registry.get(message.channel).react(target, message.externalId!, null);
    return this.replacePageReaction(message, null);
  }

  private async reactable(organizationId: string, messageId: string) {
    const message = isUUID(messageId) ? await this.dataSource.getRepository(Message).findOneBy({ id: messageId, organizationId }) : null;
    if (!message) throw notFound('Message');
    if (message.direction !== MessageDirection.Inbound || !message.externalId || !message.conversationId) {
      throw new DomainError(DomainErrorCode.UnprocessableRequest, ONLY_INBOUND_REACTIONS);
    }
    const conversation = await this.dataSource.getRepository(Conversation).findOneByOrFail({ id: message.conversationId });
    return { message, target: { organizationId, contactId: conversation.contactId, channel: message.channel } };
  }

  /** One statement, so a webhook's concurrent change to the contact's reaction is kept. */
  private async replacePageReaction(message: Message, reaction: MessageReaction | null): Promise<MessageView> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE messages SET updated_at = now(), reactions =
           coalesce((SELECT jsonb_agg(r) FROM jsonb_array_elements(reactions) r WHERE r->>'by' <> 'page'), '[]'::jsonb) || $2::jsonb
         WHERE id = $1`,
        [message.id, JSON.stringify(reaction ? [reaction] : [])],
      );
      return (await this.records.recordMessageChanged(manager, message.organizationId, message.id))!;
    });
  }
}
