import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { hydrate } from '../../database/hydrate';
import { RealtimePublisher } from '../../realtime/realtime.publisher';
import { Conversation } from '../entities/conversation.entity';
import { GraphErrorDetails, Message, MessageStatus } from '../entities/message.entity';
import { ConversationView } from '../views/conversation.view';
import { MessageView } from '../views/message.view';
import { MessageViews } from '../views/message-views.service';

/** Statuses a send no longer moves out of on its own. */
export const SETTLED_STATUSES: readonly MessageStatus[] = [MessageStatus.Published, MessageStatus.Delivered, MessageStatus.Read, MessageStatus.Failed];

const UNIQUE_VIOLATION = '23505';

/**
 * The outbound records' state changes, each followed by `message.updated` with the whole record.
 * Statuses only move forward: a delivery or read recorded by a webhook is never undone here.
 */
@Injectable()
export class SendRecordsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messageViews: MessageViews,
    private readonly realtime: RealtimePublisher,
  ) {}

  async published(message: Message, externalId: string): Promise<void> {
    const update = () =>
      this.updateAndAnnounce(
        message,
        `UPDATE messages SET external_id = $2, error = NULL, error_details = NULL, updated_at = now(),
           status = CASE WHEN status IN ('pending', 'failed_waiting_for_retry') THEN 'published'::message_status ELSE status END
         WHERE id = $1`,
        [message.id, externalId],
      );
    try {
      await update();
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      // The webhook's echo of this very send was stored first as a message of its own: ours is
      // the record the inbox already shows, so the echo's copy goes.
      await this.dataSource.query(`DELETE FROM messages WHERE channel = $1 AND external_id = $2 AND id <> $3 AND direction = 'outbound'`, [
        message.channel,
        externalId,
        message.id,
      ]);
      await update();
    }
  }

  async waitingForRetry(message: Message, details: GraphErrorDetails): Promise<void> {
    await this.updateAndAnnounce(
      message,
      `UPDATE messages SET status = 'failed_waiting_for_retry', error_details = $2, updated_at = now() WHERE id = $1 AND status IN ('pending', 'failed_waiting_for_retry')`,
      [message.id, JSON.stringify(details)],
    );
  }

  async failed(message: Message, details: GraphErrorDetails | null, error: string): Promise<void> {
    await this.updateAndAnnounce(
      message,
      `UPDATE messages SET status = 'failed', error_details = $2, error = $3, updated_at = now() WHERE id = $1 AND status IN ('pending', 'failed_waiting_for_retry')`,
      [message.id, details === null ? null : JSON.stringify(details), error],
    );
  }

  /**
   * Runs an UPDATE of the record and announces the row it returns, with the attachments the caller
   * loaded (they do not change here). When the status guard left the row alone, or the caller has
   * no attachments loaded, the record is read as it is.
   */
  private async updateAndAnnounce(message: Message, update: string, params: unknown[]): Promise<void> {
    const [rows] = (await this.dataSource.query(`${update} RETURNING *`, params)) as [Record<string, unknown>[], number];
    if (rows.length === 0 || !message.attachments) {
      await this.announce(message);
      return;
    }
    const view = this.messageViews.message(hydrate(this.dataSource, Message, rows[0]), message.attachments);
    this.realtime.publish(message.organizationId, 'message.updated', view);
  }

  /** The records, in the order of `ids`, as REST shows them. */
  async views(ids: string[], manager: EntityManager = this.dataSource.manager): Promise<MessageView[]> {
    if (ids.length === 0) return [];
    // One statement: the records joined with their attachments.
    const messages = await manager.find(Message, { where: { id: In(ids) }, relations: { attachments: true } });
    const byId = new Map(messages.map((m) => [m.id, m]));
    return ids.filter((id) => byId.has(id)).map((id) => this.messageViews.message(byId.get(id)!));
  }

  async conversationView(conversationId: string): Promise<ConversationView> {
    // find, not findOne: with a joined relation findOne pays a second query for its LIMIT.
    const [conversation] = await this.dataSource.getRepository(Conversation).find({ where: { id: conversationId }, relations: { contact: true } });
    if (!conversation) throw new Error(`conversation ${conversationId} not found`);
    return this.messageViews.conversation(conversation);
  }

  async announce(message: Pick<Message, 'id' | 'organizationId'>): Promise<MessageView | undefined> {
    const [view] = await this.views([message.id]);
    if (view) this.realtime.publish(message.organizationId, 'message.updated', view);
    return view;
  }

  async announceConversation(organizationId: string, conversationId: string): Promise<ConversationView> {
    const view = await this.conversationView(conversationId);
    this.realtime.publish(organizationId, 'conversation.updated', view);
    return view;
  }
}
