import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { DomainError, DomainErrorCode, notFound } from '../../common/domain-error';
import { hydrate } from '../../database/hydrate';
import { BatchedReads } from '../../jobs/batched-reads';
import { SendMessageDto } from '../api/send-message.dto';
import { KnownIdentity } from '../channels/channel-sender';
import { Conversation } from '../entities/conversation.entity';
import { MessageChannel } from '../message-channel';

/** The most sends' recipients one read carries. */
const RECIPIENTS_PER_READ = 100;

/** A send's recipient to read: by conversation, or by contact on the send's channel. */
interface RecipientKey {
  organizationId: string;
  conversationId: string | null;
  contactId: string | null;
  channel: MessageChannel;
}

interface RecipientRow {
  i: string;
  contact_id: string;
  conversation: Record<string, unknown> | null;
  identities: KnownIdentity[];
}

/** Whom a send goes to. */
export interface SendRecipient {
  contactId: string;
  /** The contact's conversation on the send's channel, if there is one yet. */
  conversation: Conversation | null;
  /** The contact's ids on the channel, newest first, for the channel to pick its account's. */
  identities: KnownIdentity[];
}

/**
 * Each asked recipient (in the order asked, `i`): its contact, its conversation on the channel if
 * there is one yet, and the contact's ids on that channel, newest first. A conversation is
 * looked up by id (its own channel), a contact with its conversation on the asked channel; either
 * only in the asking organization, so another organization's finds no row.
 */
const READ_RECIPIENTS = `
  SELECT a.i, r.contact_id, r.conversation,
    (SELECT coalesce(json_agg(json_build_object('account', d.account_id, 'externalId', d.external_id) ORDER BY d.created_at DESC), '[]')
       FROM contact_identities d
      WHERE d.organization_id = a.organization_id AND d.contact_id = r.contact_id AND d.channel = r.channel) AS identities
  FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::message_channel[]) WITH ORDINALITY AS a(organization_id, conversation_id, contact_id, channel, i)
  CROSS JOIN LATERAL (
    SELECT v.contact_id, row_to_json(v) AS conversation, v.channel
      FROM conversations v
     WHERE a.conversation_id IS NOT NULL AND v.id = a.conversation_id AND v.organization_id = a.organization_id
    UNION ALL
    SELECT c.id, row_to_json(v), a.channel
      FROM contacts c
      LEFT JOIN conversations v ON v.organization_id = c.organization_id AND v.contact_id = c.id AND v.channel = a.channel
     WHERE a.conversation_id IS NULL AND c.id = a.contact_id AND c.organization_id = a.organization_id
  ) r`;

/**
 * A send's recipient, by `contactId` or `conversationId`, in the sending organization only.
 * Sends that arrive while a read is in flight have theirs read together in the next statement.
 */
@Injectable()
export class SendRecipients {
  private readonly reads = new BatchedReads<RecipientKey, RecipientRow>({
    maxItems: RECIPIENTS_PER_READ,
    read: async (keys) => {
      const rows: RecipientRow[] = await this.dataSource.query(READ_RECIPIENTS, [
        keys.map((key) => key.organizationId),
        keys.map((key) => key.conversationId),
        keys.map((key) => key.contactId),
        keys.map((key) => key.channel),
      ]);
      const byIndex = new Map(rows.map((row) => [Number(row.i) - 1, row]));
      return keys.map((_, index) => byIndex.get(index));
    },
  });

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Another organization's contact or conversation, or none → 404; a conversation on another channel → 422. */
  async find(organizationId: string, request: SendMessageDto): Promise<SendRecipient> {
    const byConversation = request.conversationId !== undefined;
    const id = request.conversationId ?? request.contactId!;
    const key: RecipientKey = { organizationId, conversationId: byConversation ? id : null, contactId: byConversation ? null : id, channel: request.channel };
    // Only a well-formed id goes into the shared statement: one that cannot be read fails no other send.
    const row = isUUID(id) ? await this.reads.read(key) : undefined;
    if (!row) throw notFound(byConversation ? 'Conversation' : 'Contact');
    const conversation = row.conversation ? hydrate(this.dataSource, Conversation, row.conversation) : null;
    if (byConversation && conversation!.channel !== request.channel) {
      throw new DomainError(DomainErrorCode.UnprocessableRequest, `This conversation is on ${conversation!.channel}, not ${request.channel}`);
    }
    return { contactId: row.contact_id, conversation, identities: row.identities };
  }
}
