import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { decodeCursor, isUuid } from '../../common/cursor';
import { notFound } from '../../common/domain-error';
import { ConversationPageView } from '../api/conversation-page.view';
import { ListConversationsQueryDto } from '../api/list-conversations.dto';
import { MessagePageView } from '../api/message-page.view';
import { ListMessagesQueryDto } from '../api/list-messages.dto';
import { DEFAULT_PAGE_SIZE } from '../api/page-query.dto';
import { Attachment } from '../entities/attachment.entity';
import { Conversation } from '../entities/conversation.entity';
import { Message } from '../entities/message.entity';
import { ConversationView } from '../views/conversation.view';
import { MessageViews } from '../views/message-views.service';
import { MICROS_PARAM_AS_TIMESTAMP, microsOf, pageOf } from './keyset';

/**
 * The inbox's read side: keyset-paged lists, so a page never repeats or skips a row while
 * new messages arrive, and every page costs one index range scan.
 */
@Injectable()
export class InboxQueryService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectRepository(Attachment) private readonly attachments: Repository<Attachment>,
    private readonly views: MessageViews,
  ) {}

  /** Newest activity first: (last_message_at, id) descending. */
  async listConversations(organizationId: string, query: ListConversationsQueryDto): Promise<ConversationPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.conversations
      .createQueryBuilder('c')
      .leftJoinAndSelect('c.contact', 'contact')
      .addSelect(microsOf('c.last_message_at'), 'cursor_micros')
      .where('c.organization_id = :organizationId', { organizationId })
      .orderBy('c.lastMessageAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit + 1);
    if (query.channel) qb.andWhere('c.channel = :channel', { channel: query.channel });
    if (query.cursor) qb.andWhere(`(c.last_message_at, c.id) < (${MICROS_PARAM_AS_TIMESTAMP}, :id)`, decodeCursor(query.cursor));
    const { entities, raw } = await qb.getRawAndEntities<{ c_id: string; cursor_micros: string }>();
    const page = pageOf(entities, limit, new Map(raw.map((row) => [row.c_id, row.cursor_micros])));
    return { data: page.rows.map((conversation) => this.views.conversation(conversation)), nextCursor: page.nextCursor };
  }

  /** One conversation of the organization; another organization's, unknown or malformed id → 404. */
  async conversation(organizationId: string, conversationId: string): Promise<ConversationView> {
    const [conversation] = isUuid(conversationId)
      ? await this.conversations.find({ where: { id: conversationId, organizationId }, relations: { contact: true } })
      : [];
    if (!conversation) throw notFound('Conversation');
    return this.views.conversation(conversation);
  }

  /**
   * A conversation's messages in platform time order, (sent_at, id) ascending, or from the
   * newest backwards with `order=desc`. Reading does not reset the unread count; marking as
   * read is its own action.
   */
  async listMessages(organizationId: string, conversationId: string, query: ListMessagesQueryDto): Promise<MessagePageView> {
    // A malformed id is answered like an unknown one: 404, revealing nothing.
    if (!isUuid(conversationId) || !(await this.conversations.existsBy({ id: conversationId, organizationId }))) {
      throw notFound('Conversation');
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const descending = query.order === 'desc';
    const qb = this.messages
      .createQueryBuilder('m')
      .addSelect(microsOf('m.sent_at'), 'cursor_micros')
      .where('m.conversation_id = :conversationId AND m.organization_id = :organizationId', { conversationId, organizationId })
      .orderBy('m.sentAt', descending ? 'DESC' : 'ASC')
      .addOrderBy('m.id', descending ? 'DESC' : 'ASC')
      .limit(limit + 1);
    if (query.cursor) {
      qb.andWhere(`(m.sent_at, m.id) ${descending ? '<' : '>'} (${MICROS_PARAM_AS_TIMESTAMP}, :id)`, decodeCursor(query.cursor));
    }
    const { entities, raw } = await qb.getRawAndEntities<{ m_id: string; cursor_micros: string }>();
    const page = pageOf(entities, limit, new Map(raw.map((row) => [row.m_id, row.cursor_micros])));
    const attachments = page.rows.length
      ? await this.attachments.find({ where: { messageId: In(page.rows.map((m) => m.id)), organizationId } })
      : [];
    return {
      data: page.rows.map((message) => this.views.message(message, attachments.filter((a) => a.messageId === message.id))),
      nextCursor: page.nextCursor,
    };
  }
}
