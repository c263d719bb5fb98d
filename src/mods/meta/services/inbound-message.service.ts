import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import { JobQueue } from '../../../jobs/job-queue.service';
import { Attachment, AttachmentStatus } from '../../../messaging/entities/attachment.entity';
import { Contact } from '../../../contacts/contact.entity';
import { hydrate } from '../../../database/hydrate';
import { Conversation } from '../../../messaging/entities/conversation.entity';
import { Message, MessageDirection, MessageKind, MessageSender, MessageStatus } from '../../../messaging/entities/message.entity';
import { MessageChannel } from '../../../messaging/message-channel';
import { ConversationsService } from '../../../messaging/services/conversations.service';
import { cdnExpiry } from '../mappers/attachment.mapper';
import { MEDIA_COPY_ATTEMPTS, MEDIA_COPY_JOB, MediaCopyPayload } from '../jobs/media-copy.job';
import { PROFILE_FETCH_ATTEMPTS, PROFILE_FETCH_JOB, ProfileFetchPayload } from '../jobs/profile-fetch.job';
import type { InboundAttachment, MessageEvent, PostbackEvent, ReferralEvent } from '../types/webhook.types';
import { InboundChangesService } from './inbound-changes.service';
import { InboundEffects } from './inbound-effects';
import type { InboundScope } from './inbound-scope';
import { MetaContactsService } from './meta-contacts.service';

export type ConversationItemEvent = MessageEvent | PostbackEvent | ReferralEvent;

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
export class InboundMessageService {
  constructor(
    private readonly contacts: MetaContactsService,
    private readonly conversations: ConversationsService,
    private readonly coreConf: CoreConfService,
    private readonly jobs: JobQueue,
    private readonly changes: InboundChangesService,
  ) {}

  async apply(scope: InboundScope, event: ConversationItemEvent, manager: EntityManager, effects: InboundEffects): Promise<void> {
    if (await this.isOurOwnSend(event)) return;
    const { contactId, created } = await this.resolveContact(scope, event.userId, manager);
    const at = new Date(event.timestamp);
    const conversationId = await this.conversations.findOrCreateId(scope.organizationId, contactId, scope.channel, at, manager);
    const quickReplyTo = await this.offeredQuickReply(conversationId, event, manager);
    const stored = await this.insert(scope, conversationId, event, at, manager, quickReplyTo);
    if (!stored) return; // a redelivery: already applied
    if (created) await this.queueProfile(scope, contactId, event.userId, manager);
    const attachments = event.type === 'message' ? event.attachments : [];
    await this.addAttachments(scope.organizationId, stored.message.id, attachments, event.timestamp, manager);
    const changed = await this.changes.applyHeld(scope, event.mid, manager, effects);
    effects.createdMessages.set(stored.message.id, this.eventOf(stored.message, attachments));
    effects.conversations.add(conversationId);
    // A message with attachments, or changed by an edit or a reaction that came first, is read again for its record.
    if (attachments.length === 0 && !changed) effects.known.messages.set(stored.message.id, Object.assign(stored.message, { attachments: [] }));
    effects.known.conversations.set(conversationId, stored.conversation);
  }

  /**
   * The message row and, only when it is new, the conversation's activity, the 24-hour window
   * (inbound only) and unread count — in one statement that hands back both rows and the contact.
   */
  private async insert(
    scope: InboundScope,
    conversationId: string,
    event: ConversationItemEvent,
    at: Date,
    manager: EntityManager,
    quickReplyTo: string | null,
  ): Promise<{ message: Message; conversation: Conversation } | null> {
    const row = this.row(event);
    if (quickReplyTo) row.metadata = { ...row.metadata, quickReplyTo };
    const [stored] = await manager.query(
      `WITH m AS (
         INSERT INTO messages (organization_id, conversation_id, channel, direction, sender, kind, status, text, external_id, reply_to_external_id, metadata, sent_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT ON CONSTRAINT uq_messages_channel_external_id DO NOTHING
         RETURNING *
       ), c AS (
         UPDATE conversations SET
           last_message_at = GREATEST(conversations.last_message_at, $12),
           last_inbound_at = CASE WHEN $13::boolean THEN GREATEST(COALESCE(conversations.last_inbound_at, $12), $12) ELSE conversations.last_inbound_at END,
           unread_count = conversations.unread_count + CASE WHEN $13::boolean THEN 1 ELSE 0 END,
           updated_at = now()
         FROM m WHERE conversations.id = m.conversation_id
         RETURNING conversations.*
       )
       SELECT row_to_json(m) AS message, row_to_json(c) AS conversation, row_to_json(k) AS contact
       FROM m, c JOIN contacts k ON k.id = c.contact_id`,
      [scope.organizationId, conversationId, scope.channel, row.direction, row.sender, row.kind, row.status, row.text, event.mid, row.replyTo, row.metadata, at, row.direction === MessageDirection.Inbound],
    );
    if (!stored) return null;
    const conversation = hydrate(manager.connection, Conversation, stored.conversation);
    conversation.contact = hydrate(manager.connection, Contact, stored.contact);
    return { message: hydrate(manager.connection, Message, stored.message), conversation };
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
  private async offeredQuickReply(conversationId: string, event: ConversationItemEvent, manager: EntityManager): Promise<string | null> {
    const payload = event.type === 'message' && event.from !== 'page' ? event.metadata?.quickReplyPayload : undefined;
    if (typeof payload !== 'string') return null;
    const [offer] = await manager.query(
      `SELECT id FROM messages WHERE conversation_id = $1 AND direction = 'outbound' AND quick_replies @> $2::jsonb ORDER BY sent_at DESC, id DESC LIMIT 1`,
      [conversationId, JSON.stringify([{ payload }])],
    );
    return offer?.id ?? null;
  }

  /**
   * An echo carrying our app id is a message this service sent: its record exists from the
   * moment it was queued, and the send job owns it, so the echo must not make a second one.
   */
  private async isOurOwnSend(event: ConversationItemEvent): Promise<boolean> {
    if (event.type !== 'message' || event.from !== 'page' || !event.appId) return false;
    const app = await this.coreConf.metaApp();
    return app?.appId === event.appId;
  }

  private row(event: ConversationItemEvent): NewMessageRow {
    const inbound: Omit<NewMessageRow, 'kind' | 'text' | 'replyTo' | 'metadata'> = {
      direction: MessageDirection.Inbound,
      sender: MessageSender.Contact,
      status: MessageStatus.Received,
    };
    switch (event.type) {
      case 'message': {
        const base = event.from === 'page' ? { direction: MessageDirection.Outbound, sender: MessageSender.Page, status: MessageStatus.Published } : inbound;
        return { ...base, kind: MessageKind.Message, text: event.text, replyTo: event.replyToMid, metadata: event.metadata };
      }
      case 'postback':
        return { ...inbound, kind: MessageKind.Postback, text: event.title, replyTo: null, metadata: event.metadata };
      case 'referral':
        return { ...inbound, kind: MessageKind.Referral, text: null, replyTo: null, metadata: event.metadata };
    }
  }

  private resolveContact(scope: InboundScope, userId: string, manager: EntityManager) {
    return scope.channel === MessageChannel.FacebookMessenger
      ? this.contacts.resolveFacebook(scope.organizationId, scope.accountId, userId, manager)
      : this.contacts.resolveInstagram(scope.organizationId, scope.accountId, userId, manager);
  }

  /** In its own job, after commit: a slow or failing Graph API never holds the message back. */
  private queueProfile(scope: InboundScope, contactId: string, userId: string, manager: EntityManager): Promise<void> {
    const payload: ProfileFetchPayload = { organizationId: scope.organizationId, contactId, channel: scope.channel, userId };
    return this.jobs.add(PROFILE_FETCH_JOB, payload, { jobKey: `meta-profile:${contactId}`, maxAttempts: PROFILE_FETCH_ATTEMPTS }, manager);
  }

  private async addAttachments(organizationId: string, messageId: string, attachments: InboundAttachment[], sentAt: number, manager: EntityManager): Promise<void> {
    if (attachments.length === 0) return;
    const copies: { name: string; payload: MediaCopyPayload; options: { maxAttempts: number } }[] = [];
    // Attachments are shown by creation time; a millisecond apart keeps Meta's order.
    const base = Date.now();
    for (const [index, attachment] of attachments.entries()) {
      const saved = await manager.save(
        manager.create(Attachment, {
          createdAt: new Date(base + index),
          organizationId,
          messageId,
          type: attachment.type,
          status: attachment.url ? AttachmentStatus.Pending : attachment.remoteUrl ? AttachmentStatus.Remote : AttachmentStatus.Unavailable,
          sourceUrl: attachment.url ?? attachment.remoteUrl ?? (typeof attachment.payload?.url === 'string' ? attachment.payload.url : null),
          expiresAt: attachment.remoteUrl ? cdnExpiry(attachment.remoteUrl, sentAt) : null,
          payload: attachment.payload,
        }),
      );
      if (attachment.url) copies.push({ name: MEDIA_COPY_JOB, payload: { organizationId, attachmentId: saved.id }, options: { maxAttempts: MEDIA_COPY_ATTEMPTS } });
    }
    await this.jobs.addMany(copies, manager);
  }
}
