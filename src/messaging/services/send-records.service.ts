import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { hydrate } from '../../database/hydrate';
import { GroupCommit } from '../../jobs/group-commit';
import type { DomainEventType, OutboxEntry } from '../../events/domain-event.types';
import { DomainEvents } from '../../events/domain-events.service';
import { Attachment } from '../entities/attachment.entity';
import { Conversation } from '../entities/conversation.entity';
import { GraphErrorDetails, Message, MessageStatus } from '../entities/message.entity';
import { ConversationView } from '../views/conversation.view';
import { MessageView } from '../views/message.view';
import { MessageViews } from '../views/message-views.service';

/** Statuses a send no longer moves out of on its own. */
export const SETTLED_STATUSES: readonly MessageStatus[] = [MessageStatus.Published, MessageStatus.Delivered, MessageStatus.Read, MessageStatus.Failed];

const UNIQUE_VIOLATION = '23505';

/** Statuses the send job moves a record out of. */
const RETRYABLE_STATUSES: readonly MessageStatus[] = [MessageStatus.Pending, MessageStatus.FailedWaitingForRetry];

/** A send-path status change to record with its event, and whether the group's statement applied it. */
interface Settlement {
  message: Message;
  /** The record's new status and fields, as the statement's `input` row. */
  row: { id: string; status: MessageStatus; external_id: string | null; error_details: GraphErrorDetails | null; error: string | null };
  entry: OutboxEntry;
  applied: boolean;
}

/**
 * The outbound records' state changes, each recorded in the outbox with the whole record in the
 * same transaction: `message.sent` / `message.failed` when the record becomes published / failed,
 * a socket `message.updated` for every change. Statuses only move forward: a delivery or read
 * recorded by a webhook is never undone here.
 */
@Injectable()
export class SendRecordsService {
  /**
   * Status changes that come while one statement is in flight go together in the next (a worker's
   * sends run together and Meta answers them at about the same moment). A statement refused for
   * one record's external id (an echo stored it first) is retried one record at a time, so only
   * that one fails (and goes the long way).
   */
  private readonly settling = new GroupCommit<Settlement>({
    write: (groups) => this.settleTogether(groups.flat()),
    maxItems: 200,
    mayBeOneCallers: (error) => (error as { code?: string })?.code === UNIQUE_VIOLATION,
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messageViews: MessageViews,
    private readonly events: DomainEvents,
  ) {}

  /** The record went out: `published` with Meta's id, and `message.sent`. */
  async published(message: Message, externalId: string): Promise<void> {
    const changes = { status: MessageStatus.Published, externalId, error: null, errorDetails: null };
    const settled = await this.settledInOneStatement(message, changes, 'message.sent').catch((error: { code?: string }) => {
      // The echo's copy is in the way: the path below clears it.
      if (error?.code === UNIQUE_VIOLATION) return false;
      throw error;
    });
    if (settled) return;
    const update = () =>
      this.update(
        message,
        `UPDATE messages SET external_id = $2, error = NULL, error_details = NULL, updated_at = now(),
           status = CASE WHEN status IN ('pending', 'failed_waiting_for_retry') THEN 'published'::message_status ELSE status END
         WHERE id = $1`,
        [message.id, externalId],
        (status) => (status === MessageStatus.Published ? 'message.sent' : null),
      );
    try {
      await update();
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      // The webhook's echo of this very send was stored first as a message of its own: ours is
      // the record the inbox already shows, so the echo's copy goes.
      await this.dataSource.query(
        `DELETE FROM messages WHERE organization_id = $4 AND channel = $1 AND external_id = $2 AND id <> $3 AND direction = 'outbound'`,
        [message.channel, externalId, message.id, message.organizationId],
      );
      await update();
    }
  }

  async waitingForRetry(message: Message, details: GraphErrorDetails): Promise<void> {
    const changes = { status: MessageStatus.FailedWaitingForRetry, errorDetails: details };
    if (await this.settledInOneStatement(message, changes, null)) return;
    await this.update(
      message,
      `UPDATE messages SET status = 'failed_waiting_for_retry', error_details = $2, updated_at = now() WHERE id = $1 AND status IN ('pending', 'failed_waiting_for_retry')`,
      [message.id, JSON.stringify(details)],
      () => null,
    );
  }

  async failed(message: Message, details: GraphErrorDetails | null, error: string): Promise<void> {
    const changes = { status: MessageStatus.Failed, errorDetails: details, error };
    if (await this.settledInOneStatement(message, changes, 'message.failed')) return;
    await this.update(
      message,
      `UPDATE messages SET status = 'failed', error_details = $2, error = $3, updated_at = now() WHERE id = $1 AND status IN ('pending', 'failed_waiting_for_retry')`,
      [message.id, details === null ? null : JSON.stringify(details), error],
      () => 'message.failed',
    );
  }

  /** The event of a send-path status change: the record as the job loaded it, with `changes` applied. */
  private entryOf(message: Message, changes: Partial<Message>, type: 'message.sent' | 'message.failed' | null): OutboxEntry {
    const view = this.messageViews.message({ ...message, ...changes } as Message, message.attachments!);
    return type === null ? { type: null, realtime: [{ event: 'message.updated', payload: view }] } : { type, object: view, realtime: [{ event: 'message.updated' }] };
  }

  /**
   * The send path's status change in one statement, with its event: the record as the job loaded
   * it (a pending or waiting outbound record changes only here), with `changes` applied, is what
   * the event carries. It applies only while the record is still pending or waiting. Answers
   * false (nothing done) when that guard or the job's copy cannot be trusted: the caller then
   * goes the long way.
   */
  private async settledInOneStatement(
    message: Message,
    changes: Pick<Message, 'status'> & Partial<Pick<Message, 'externalId' | 'errorDetails' | 'error'>>,
    type: 'message.sent' | 'message.failed' | null,
  ): Promise<boolean> {
    if (!message.attachments || !RETRYABLE_STATUSES.includes(message.status)) return false;
    const row = { id: message.id, status: changes.status, external_id: changes.externalId ?? null, error_details: changes.errorDetails ?? null, error: changes.error ?? null };
    const settlement: Settlement = { message, row, entry: this.entryOf(message, changes, type), applied: false };
    await this.settling.add([settlement]);
    if (settlement.applied) Object.assign(message, changes);
    return settlement.applied;
  }

  /**
   * Settlements in one statement: a waiting record keeps its `error`, only a published one takes
   * an external id, and each sets its `error_details` (none when published).
   */
  private async settleTogether(settlements: Settlement[]): Promise<void> {
    const applied = await this.events.recordWithChanges(
      this.dataSource,
      settlements.map(({ message, row, entry }) => ({ organizationId: message.organizationId, entries: [entry], row })),
      {
        columns: 'id uuid, status message_status, external_id text, error_details jsonb, error text',
        sql: `UPDATE messages m SET status = i.status, external_id = coalesce(i.external_id, m.external_id), error_details = i.error_details,
                error = CASE WHEN i.status = 'failed_waiting_for_retry' THEN m.error ELSE i.error END, updated_at = now()
              FROM input i WHERE m.id = i.id AND m.status IN ('pending', 'failed_waiting_for_retry') RETURNING i.n`,
      },
    );
    settlements.forEach((settlement, n) => (settlement.applied = applied.has(n)));
  }

  /**
   * Runs an UPDATE of the record and records the row it returns (with the attachments the caller
   * loaded: they do not change here) as the event `eventOf` names for its new status, or as a
   * socket `message.updated` alone. A status guard that left the row alone records nothing.
   */
  private async update(message: Message, update: string, params: unknown[], eventOf: (status: MessageStatus) => DomainEventType | null): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(`${update} RETURNING *`, params)) as [Record<string, unknown>[], number];
      if (rows.length === 0) return;
      const row = hydrate(this.dataSource, Message, rows[0]);
      const attachments = message.attachments ?? (await manager.find(Attachment, { where: { messageId: message.id } }));
      const view = this.messageViews.message(row, attachments);
      const type = eventOf(row.status);
      await this.events.record(manager, message.organizationId, [
        type === null
          ? { type: null, realtime: [{ event: 'message.updated', payload: view }] }
          : { type: type as 'message.sent', object: view, realtime: [{ event: 'message.updated' }] },
      ]);
    });
  }

  /** The records, in the order of `ids`, as REST shows them. */
  async views(ids: string[], manager: EntityManager = this.dataSource.manager): Promise<MessageView[]> {
    if (ids.length === 0) return [];
    // One statement: the records joined with their attachments.
    const messages = await manager.find(Message, { where: { id: In(ids) }, relations: { attachments: true } });
    const byId = new Map(messages.map((m) => [m.id, m]));
    return ids.filter((id) => byId.has(id)).map((id) => this.messageViews.message(byId.get(id)!));
  }

  async conversationView(conversationId: string, manager: EntityManager = this.dataSource.manager): Promise<ConversationView> {
    // find, not findOne: with a joined relation findOne pays a second query for its LIMIT.
    const [conversation] = await manager.getRepository(Conversation).find({ where: { id: conversationId }, relations: { contact: true } });
    if (!conversation) throw new Error(`conversation ${conversationId} not found`);
    return this.messageViews.conversation(conversation);
  }

  /** In the caller's transaction: a socket `message.updated` with the record as it now is. */
  async recordMessageChanged(manager: EntityManager, organizationId: string, messageId: string): Promise<MessageView | undefined> {
    const [view] = await this.views([messageId], manager);
    if (view) await this.events.record(manager, organizationId, [{ type: null, realtime: [{ event: 'message.updated', payload: view }] }]);
    return view;
  }

  /** In the caller's transaction: a socket `conversation.updated` with the conversation as it now is. */
  async recordConversationChanged(manager: EntityManager, organizationId: string, conversationId: string): Promise<ConversationView> {
    const view = await this.conversationView(conversationId, manager);
    await this.events.record(manager, organizationId, [{ type: null, realtime: [{ event: 'conversation.updated', payload: view }] }]);
    return view;
  }
}
