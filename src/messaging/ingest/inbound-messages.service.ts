import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Contact } from '../../contacts/contact.entity';
import { hydrate } from '../../database/hydrate';
import { JobQueue } from '../../jobs/job-queue.service';
import { Attachment, AttachmentStatus } from '../entities/attachment.entity';
import { Conversation } from '../entities/conversation.entity';
import { Message, MessageDirection, MessageKind, MessageSender, MessageStatus } from '../entities/message.entity';
import { MessageChannel } from '../message-channel';
import { ContactIdentitiesService, ResolvedConversation } from './contact-identities.service';
import { InboundChangesService } from './inbound-changes.service';
import { CreatedContact, InboundChannelRegistry } from './inbound-channel';
import { InboundEffects } from './inbound-effects';
import type { ConversationItem, InboundAttachment, InboundScope } from './inbound-item';
import { MEDIA_COPY_ATTEMPTS, MEDIA_COPY_JOB, MediaCopyPayload } from './media-copy.job';

/** One conversation item to apply, with the effects it records. */
export interface ConversationUnit {
  scope: InboundScope;
  item: ConversationItem;
  effects: InboundEffects;
}

interface NewMessageRow {
  direction: MessageDirection;
  sender: MessageSender;
  kind: MessageKind;
  status: MessageStatus;
  text: string | null;
  replyTo: string | null;
  metadata: Record<string, unknown> | null;
}

/**
 * Messages, echoes, postbacks and referrals become conversation items. Exactly once in effect:
 * the insert is keyed on (channel, mid) and does nothing for a redelivery, and everything else
 * (counters, attachments, jobs) happens only when the insert made the row.
 */
@Injectable()
export class InboundMessagesService {
  constructor(
    private readonly identities: ContactIdentitiesService,
    private readonly channels: InboundChannelRegistry,
    private readonly jobs: JobQueue,
    private readonly changes: InboundChangesService,
  ) {}

  async apply(scope: InboundScope, item: ConversationItem, manager: EntityManager, effects: InboundEffects): Promise<void> {
    await this.applyMany([{ scope, item, effects }], manager);
  }

  /**
   * Many conversations' items, in the order given, with the effects each has on its own: every
   * sender is resolved in one statement and every message stored in another, which also moves
   * each conversation's activity once. What few messages need (the quick reply a tap answers,
   * attachments, changes that waited for them, a new contact's profile) is done per message.
   */
  async applyMany(units: ConversationUnit[], manager: EntityManager): Promise<void> {
    if (units.length === 0) return;
    const resolved = await this.identities.resolveConversations(
      units.map(({ scope, item }) => ({ scope, externalId: item.userId, at: new Date(item.timestamp) })),
      manager,
    );
    const rows = [];
    for (const [n, { scope, item }] of units.entries()) {
      const row = this.row(item);
      const quickReplyTo = await this.offeredQuickReply(resolved[n].conversationId, item, manager);
      if (quickReplyTo) row.metadata = { ...row.metadata, quickReplyTo };
      rows.push({
        n,
        organization_id: scope.organizationId,
        conversation_id: resolved[n].conversationId,
        channel: scope.channel,
        direction: row.direction,
        sender: row.sender,
        kind: row.kind,
        status: row.status,
        text: row.text,
        external_id: item.mid,
        reply_to_external_id: row.replyTo,
        metadata: row.metadata,
        sent_at: new Date(item.timestamp).toISOString(),
      });
    }
    const [result] = await manager.query(INSERT_MANY, [JSON.stringify(rows)]);
    const conversations = new Map<string, Conversation>();
    for (const { conversation, contact } of result.conversations ?? []) {
      const record = hydrate(manager.connection, Conversation, conversation);
      record.contact = hydrate(manager.connection, Contact, contact);
      conversations.set(record.id, record);
    }
    const stored: { n: number; message: Record<string, unknown>; held: boolean }[] = result.messages ?? [];
    // The batch's new contacts, each once however many of its messages came together, told to their channels together.
    const created = new Map<MessageChannel, CreatedContact[]>();
    const seen = new Set<string>();
    for (const { n, message, held } of stored.sort((a, b) => a.n - b.n)) {
      const record = hydrate(manager.connection, Message, message);
      const { scope, item } = units[n];
      const { contactId } = resolved[n];
      if (resolved[n].created && !seen.has(contactId)) {
        seen.add(contactId);
        const ofChannel = created.get(scope.channel) ?? [];
        ofChannel.push({ scope, contactId, externalId: item.userId });
        created.set(scope.channel, ofChannel);
      }
      await this.afterInsert(units[n], resolved[n], { message: record, conversation: conversations.get(resolved[n].conversationId)!, held }, manager);
    }
    for (const [channel, contacts] of created) await this.channels.get(channel).contactsCreated(contacts, manager);
  }

  /** What a newly stored message brings with it: attachments, changes that waited, its record. */
  private async afterInsert(
    { scope, item, effects }: ConversationUnit,
    { conversationId }: ResolvedConversation,
    stored: { message: Message; conversation: Conversation; held: boolean },
    manager: EntityManager,
  ): Promise<void> {
    const attachments = item.type === 'message' ? item.attachments : [];
    await this.addAttachments(scope.organizationId, stored.message.id, attachments, manager);
    const changed = stored.held && (await this.changes.applyHeld(scope, item.mid, manager, effects));
    effects.createdMessages.set(stored.message.id, this.eventOf(stored.message, attachments));
    effects.conversations.add(conversationId);
    // A message with attachments, or changed by an edit or a reaction that came first, is read again for its record.
    if (attachments.length === 0 && !changed) effects.known.messages.set(stored.message.id, Object.assign(stored.message, { attachments: [] }));
    effects.known.conversations.set(conversationId, stored.conversation);
  }

  /**
   * An echo is `message.sent` at once; an inbound message is `message.received` once its files
   * are copied (`InboundMediaService` raises it after the last copy settles).
   */
  private eventOf(message: Message, attachments: InboundAttachment[]): 'message.sent' | 'message.received' | null {
    if (message.direction === MessageDirection.Outbound) return 'message.sent';
    return attachments.some((attachment) => attachment.url) ? null : 'message.received';
  }

  /**
   * A customer's tap on a quick reply names its payload: the record links it to the message that
   * offered that payload (the latest one in the conversation), as `metadata.quickReplyTo`.
   */
  private async offeredQuickReply(conversationId: string, item: ConversationItem, manager: EntityManager): Promise<string | null> {
    const payload = item.type === 'message' && item.from !== 'page' ? item.metadata?.quickReplyPayload : undefined;
    if (typeof payload !== 'string') return null;
    const [offer] = await manager.query(
      `SELECT id FROM messages WHERE conversation_id = $1 AND direction = 'outbound' AND quick_replies @> $2::jsonb ORDER BY sent_at DESC, id DESC LIMIT 1`,
      [conversationId, JSON.stringify([{ payload }])],
    );
    return offer?.id ?? null;
  }

  private row(item: ConversationItem): NewMessageRow {
    const inbound: Omit<NewMessageRow, 'kind' | 'text' | 'replyTo' | 'metadata'> = {
      direction: MessageDirection.Inbound,
      sender: MessageSender.Contact,
      status: MessageStatus.Received,
    };
    switch (item.type) {
      case 'message': {
        const base = item.from === 'page' ? { direction: MessageDirection.Outbound, sender: MessageSender.Page, status: MessageStatus.Published } : inbound;
        return { ...base, kind: MessageKind.Message, text: item.text, replyTo: item.replyToMid, metadata: item.metadata };
      }
      case 'postback':
        return { ...inbound, kind: MessageKind.Postback, text: item.title, replyTo: null, metadata: item.metadata };
      case 'referral':
        return { ...inbound, kind: MessageKind.Referral, text: null, replyTo: null, metadata: item.metadata };
    }
  }

  /** Every attachment in one insert; files to copy each get a job, committed with the message. */
  private async addAttachments(organizationId: string, messageId: string, attachments: InboundAttachment[], manager: EntityManager): Promise<void> {
    if (attachments.length === 0) return;
    // Attachments are shown by creation time; a millisecond apart keeps the channel's order.
    const base = Date.now();
    const rows = attachments.map((attachment, index) =>
      manager.create(Attachment, {
        createdAt: new Date(base + index),
        organizationId,
        messageId,
        type: attachment.type,
        status: attachment.url ? AttachmentStatus.Pending : attachment.remoteUrl ? AttachmentStatus.Remote : AttachmentStatus.Unavailable,
        sourceUrl: attachment.url ?? attachment.remoteUrl ?? (typeof attachment.payload?.url === 'string' ? attachment.payload.url : null),
        expiresAt: attachment.remoteUrl && attachment.remoteExpiresAt != null ? new Date(attachment.remoteExpiresAt) : null,
        payload: attachment.payload,
      }),
    );
    // New rows only, so TypeORM writes them in one multi-row INSERT.
    const saved = await manager.save(rows);
    const copies = attachments.flatMap((attachment, index) => {
      if (!attachment.url) return [];
      const payload: MediaCopyPayload = { organizationId, attachmentId: saved[index].id };
      return [{ name: MEDIA_COPY_JOB, payload, options: { maxAttempts: MEDIA_COPY_ATTEMPTS } }];
    });
    await this.jobs.addMany(copies, manager);
  }
}

/**
 * Many messages (`$1`: a JSON array of rows, each with its place `n`) with `ON CONFLICT DO
 * NOTHING`, and each conversation that got new ones moved once by all of them; hands back the
 * stored messages (with the place of the first row that made each, and whether changes wait for
 * it) and the moved conversations with their contacts. Rows are made in the array's order, each
 * with its own creation time.
 */
const INSERT_MANY = `WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
      n int, organization_id uuid, conversation_id uuid, channel message_channel, direction message_direction, sender message_sender,
      kind message_kind, status message_status, text text, external_id text, reply_to_external_id text, metadata jsonb, sent_at timestamptz)
  ), m AS (
    INSERT INTO messages (organization_id, conversation_id, channel, direction, sender, kind, status, text, external_id, reply_to_external_id, metadata, sent_at, created_at)
    SELECT organization_id, conversation_id, channel, direction, sender, kind, status, text, external_id, reply_to_external_id, metadata, sent_at, clock_timestamp() FROM input
    ON CONFLICT ON CONSTRAINT uq_messages_channel_external_id DO NOTHING
    RETURNING *
  ), activity AS (
    SELECT conversation_id, max(sent_at) AS last_at, max(sent_at) FILTER (WHERE direction = 'inbound') AS inbound_at,
      count(*) FILTER (WHERE direction = 'inbound')::int AS inbound
    FROM m GROUP BY conversation_id
  ), c AS (
    UPDATE conversations SET
      last_message_at = GREATEST(conversations.last_message_at, a.last_at),
      last_inbound_at = CASE WHEN a.inbound_at IS NULL THEN conversations.last_inbound_at ELSE GREATEST(COALESCE(conversations.last_inbound_at, a.inbound_at), a.inbound_at) END,
      unread_count = conversations.unread_count + a.inbound,
      updated_at = now()
    FROM activity a WHERE conversations.id = a.conversation_id
    RETURNING conversations.*
  )
  SELECT
    (SELECT json_agg(json_build_object(
       'n', (SELECT min(i.n) FROM input i WHERE i.channel = m.channel AND i.external_id = m.external_id),
       'message', row_to_json(m),
       'held', EXISTS (SELECT 1 FROM held_message_changes h WHERE h.organization_id = m.organization_id AND h.channel = m.channel AND h.external_id = m.external_id)))
     FROM m) AS messages,
    (SELECT json_agg(json_build_object('conversation', row_to_json(c), 'contact', row_to_json(k))) FROM c JOIN contacts k ON k.id = c.contact_id) AS conversations`;
