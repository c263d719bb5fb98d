import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { ProfileColumns } from '../../src/mods/meta/mappers/profile.mapper';

/**
 * Small helpers that insert rows straight into the test database, for read routes whose
 * subject is the querying, not how rows get there. Timestamps may be Date objects or ISO
 * strings (strings keep Postgres' microseconds).
 */
type Db = Pick<Pool, 'query'>;
type Instant = Date | string;

export async function createContact(db: Db, organizationId: string, fields: ProfileColumns = {}): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO contacts (organization_id, display_name, first_name, last_name, username, avatar_url,
       follower_count, is_verified_user, is_user_follow_business, is_business_follow_user)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      organizationId,
      fields.displayName ?? null,
      fields.firstName ?? null,
      fields.lastName ?? null,
      fields.username ?? null,
      fields.avatarUrl ?? null,
      fields.followerCount ?? null,
      fields.isVerifiedUser ?? null,
      fields.isUserFollowBusiness ?? null,
      fields.isBusinessFollowUser ?? null,
    ],
  );
  return rows[0].id;
}

export async function addFacebookIdentity(db: Db, contactId: string, pageId: string, psid: string): Promise<void> {
  await db.query(
    `INSERT INTO contact_identities (organization_id, contact_id, channel, account_id, external_id)
     SELECT organization_id, id, 'facebook_messenger', $2, $3 FROM contacts WHERE id = $1`,
    [contactId, pageId, psid],
  );
}

export async function addInstagramIdentity(db: Db, contactId: string, igAccountId: string, igsid: string): Promise<void> {
  await db.query(
    `INSERT INTO contact_identities (organization_id, contact_id, channel, account_id, external_id)
     SELECT organization_id, id, 'instagram_dm', $2, $3 FROM contacts WHERE id = $1`,
    [contactId, igAccountId, igsid],
  );
}

export interface ConversationFields {
  channel?: 'facebook_messenger' | 'instagram_dm';
  lastMessageAt?: Instant;
  lastInboundAt?: Instant | null;
  unreadCount?: number;
}

/** A conversation of the contact's organization. */
export async function createConversation(db: Db, contactId: string, fields: ConversationFields = {}): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO conversations (organization_id, contact_id, channel, last_message_at, last_inbound_at, unread_count)
     SELECT organization_id, id, $2, $3, $4, $5 FROM contacts WHERE id = $1 RETURNING id`,
    [contactId, fields.channel ?? 'facebook_messenger', fields.lastMessageAt ?? new Date(), fields.lastInboundAt ?? null, fields.unreadCount ?? 0],
  );
  return rows[0].id;
}

/** A Messenger customer of the Page who wrote just now: a contact with that PSID and a conversation whose 24 h window is open. */
export async function createMessengerCustomer(db: Db, organizationId: string, pageId: string, psid: string): Promise<string> {
  const contactId = await createContact(db, organizationId);
  await addFacebookIdentity(db, contactId, pageId, psid);
  await createConversation(db, contactId, { lastInboundAt: new Date() });
  return contactId;
}

/** A contact with one conversation: the common case. */
export async function createContactWithConversation(
  db: Db,
  organizationId: string,
  fields: ConversationFields & { contact?: ProfileColumns } = {},
): Promise<{ contactId: string; conversationId: string }> {
  const contactId = await createContact(db, organizationId, fields.contact);
  return { contactId, conversationId: await createConversation(db, contactId, fields) };
}

export interface MessageFields {
  direction?: 'inbound' | 'outbound';
  sender?: 'contact' | 'agent' | 'page';
  status?: string;
  text?: string | null;
  sentAt?: Instant;
  externalId?: string | null;
  replyToExternalId?: string | null;
  reactions?: { by: 'contact' | 'page'; reaction: string; emoji: string | null }[];
  deliveredAt?: Instant | null;
  readAt?: Instant | null;
}

/** A message in the conversation (organization and channel taken from it). */
export async function createMessage(db: Db, conversationId: string, fields: MessageFields = {}): Promise<string> {
  const direction = fields.direction ?? 'inbound';
  const { rows } = await db.query(
    `INSERT INTO messages (organization_id, conversation_id, channel, direction, sender, status, text, sent_at,
       external_id, reply_to_external_id, reactions, delivered_at, read_at)
     SELECT organization_id, id, channel, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM conversations WHERE id = $1
     RETURNING id`,
    [
      conversationId,
      direction,
      fields.sender ?? (direction === 'inbound' ? 'contact' : 'agent'),
      fields.status ?? (direction === 'inbound' ? 'received' : 'published'),
      fields.text === undefined ? 'hello' : fields.text,
      fields.sentAt ?? new Date(),
      fields.externalId ?? null,
      fields.replyToExternalId ?? null,
      JSON.stringify(fields.reactions ?? []),
      fields.deliveredAt ?? null,
      fields.readAt ?? null,
    ],
  );
  return rows[0].id;
}

export interface AttachmentFields {
  type?: string;
  status?: 'stored' | 'pending' | 'unavailable';
  mimeType?: string | null;
  size?: number | null;
  storageKey?: string | null;
}

/** An attachment of the message (organization taken from it). */
export async function createAttachment(db: Db, messageId: string, fields: AttachmentFields = {}): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO attachments (organization_id, message_id, type, status, mime_type, size, storage_key)
     SELECT organization_id, id, $2, $3, $4, $5, $6 FROM messages WHERE id = $1 RETURNING id`,
    [
      messageId,
      fields.type ?? 'image',
      fields.status ?? 'stored',
      fields.mimeType === undefined ? 'image/png' : fields.mimeType,
      fields.size === undefined ? 1234 : fields.size,
      fields.storageKey === undefined ? randomUUID() : fields.storageKey,
    ],
  );
  return rows[0].id;
}
