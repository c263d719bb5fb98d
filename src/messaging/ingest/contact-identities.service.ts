import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { MessageChannel } from '../message-channel';
import { ConversationsService } from '../services/conversations.service';
import type { InboundScope } from './inbound-item';

export interface ResolvedContact {
  contactId: string;
  /** True when this call made the contact (a new sender): the channel fetches its profile. */
  created: boolean;
}

export interface ResolvedConversation extends ResolvedContact {
  conversationId: string;
}

const IDENTITY_KEY = 'uq_contact_identities_org_channel_account_external';
/** The contact of one identity: `$1`–`$4` are `params(scope, externalId)`. */
const FIND_IDENTITY = `SELECT contact_id FROM contact_identities WHERE organization_id = $1 AND channel = $2 AND account_id = $3 AND external_id = $4`;

/**
 * Maps a person's id on a channel account (PSID, IGSID) to a contact of the organization, making
 * one for a new sender. Scoped by organization: a Page that moved keeps its PSIDs, and the old
 * owner's contact never answers for the new owner. Safe under concurrency: the identity's unique
 * key decides, never a read-then-write, so parallel first messages give one contact.
 */
@Injectable()
export class ContactIdentitiesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversations: ConversationsService,
  ) {}

  /** The contact of `externalId` on the scope's account, made on first sight. */
  async resolve(scope: InboundScope, externalId: string, manager?: EntityManager): Promise<ResolvedContact> {
    const run = async (tx: EntityManager): Promise<ResolvedContact> => {
      const [row] = await tx.query(`${RESOLVE} SELECT found, linked FROM resolved`, params(scope, externalId));
      return resolved(row) ?? this.settleRace(scope, externalId, row.made, tx);
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  /**
   * The contact and its one conversation on the scope's channel (made on first use), in one
   * statement on the common path: the inbound pipeline calls this for every conversation item.
   */
  async resolveConversation(scope: InboundScope, externalId: string, at: Date, manager: EntityManager): Promise<ResolvedConversation> {
    const [row] = await manager.query(
      `${RESOLVE}, conversation AS (
         INSERT INTO conversations (organization_id, contact_id, channel, last_message_at)
         SELECT $1, COALESCE(found, linked), $2, $5 FROM resolved WHERE COALESCE(found, linked) IS NOT NULL
         ON CONFLICT ON CONSTRAINT uq_conversations_org_contact_channel DO UPDATE SET organization_id = EXCLUDED.organization_id
         RETURNING id
       )
       SELECT found, linked, made, (SELECT id FROM conversation) AS conversation_id FROM resolved`,
      [...params(scope, externalId), at],
    );
    const contact = resolved(row) ?? (await this.settleRace(scope, externalId, row.made, manager));
    const conversationId: string =
      row.conversation_id ?? (await this.conversations.findOrCreateId(scope.organizationId, contact.contactId, scope.channel, at, manager));
    return { ...contact, conversationId };
  }

  /** The contact's id on that account (newest if several), or null when the person never wrote to it. */
  async externalIdOf(organizationId: string, channel: MessageChannel, accountId: string, contactId: string): Promise<string | null> {
    const [row] = await this.dataSource.query(
      `SELECT external_id FROM contact_identities
       WHERE organization_id = $1 AND channel = $2 AND account_id = $3 AND contact_id = $4 ORDER BY created_at DESC LIMIT 1`,
      [organizationId, channel, accountId, contactId],
    );
    return row?.external_id ?? null;
  }

  /** The person's conversation on the scope's channel, if they ever had one (receipts never make one). */
  async conversationOf(scope: InboundScope, externalId: string, manager: EntityManager): Promise<string | null> {
    const [row] = await manager.query(
      `SELECT c.id FROM contact_identities i
       JOIN conversations c ON c.contact_id = i.contact_id AND c.channel = i.channel AND c.organization_id = i.organization_id
       WHERE i.organization_id = $1 AND i.channel = $2 AND i.account_id = $3 AND i.external_id = $4`,
      params(scope, externalId),
    );
    return row?.id ?? null;
  }

  /** Another transaction mapped this sender first (its identity row won): use its contact, drop ours. */
  private async settleRace(scope: InboundScope, externalId: string, made: string | null, manager: EntityManager): Promise<ResolvedContact> {
    if (made) await manager.query(`DELETE FROM contacts WHERE id = $1 AND organization_id = $2`, [made, scope.organizationId]);
    const [winner] = await manager.query(FIND_IDENTITY, params(scope, externalId));
    return { contactId: winner.contact_id, created: false };
  }
}

/**
 * `resolved`: the identity's contact if it exists (`found`), else a new contact (`made`) and its
 * identity (`linked`, null when a concurrent transaction's identity won the unique key).
 */
const RESOLVE = `WITH found AS (${FIND_IDENTITY}), made AS (
    INSERT INTO contacts (organization_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id
  ), linked AS (
    INSERT INTO contact_identities (organization_id, contact_id, channel, account_id, external_id)
    SELECT $1, id, $2, $3, $4 FROM made
    ON CONFLICT ON CONSTRAINT ${IDENTITY_KEY} DO NOTHING RETURNING contact_id
  ), resolved AS (
    SELECT (SELECT contact_id FROM found) AS found, (SELECT contact_id FROM linked) AS linked, (SELECT id FROM made) AS made
  )`;

function params(scope: InboundScope, externalId: string): unknown[] {
  return [scope.organizationId, scope.channel, scope.accountId, externalId];
}

function resolved(row: { found: string | null; linked: string | null }): ResolvedContact | null {
  if (row.found) return { contactId: row.found, created: false };
  if (row.linked) return { contactId: row.linked, created: true };
  return null;
}
