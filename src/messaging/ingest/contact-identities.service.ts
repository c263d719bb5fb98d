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

/** A person writing on a channel account, and when (a new conversation's first activity). */
export interface Sender {
  scope: InboundScope;
  externalId: string;
  at: Date;
}

interface ResolvedRow {
  n: number;
  found: string | null;
  linked: string | null;
  made: string | null;
  conversation_id: string | null;
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
   * The contact of each sender and its one conversation on the scope's channel (both made on
   * first sight), for many senders of any scopes in one statement; the answers come in the order
   * asked. A sender asked twice is resolved once. A sender whose new identity lost a race to
   * another transaction is settled on its own afterwards.
   */
  async resolveConversations(senders: Sender[], manager: EntityManager): Promise<ResolvedConversation[]> {
    const keyOf = ({ scope, externalId }: Sender) => JSON.stringify([scope.organizationId, scope.channel, scope.accountId, externalId]);
    const distinct = new Map<string, Sender>();
    for (const sender of senders) if (!distinct.has(keyOf(sender))) distinct.set(keyOf(sender), sender);
    const input = [...distinct.values()].map(({ scope, externalId, at }, n) => ({ n, org: scope.organizationId, channel: scope.channel, account: scope.accountId, ext: externalId, at }));
    const rows: ResolvedRow[] = await manager.query(RESOLVE_MANY, [JSON.stringify(input)]);
    const byN = new Map(rows.map((row) => [row.n, row]));
    const answers = new Map<string, ResolvedConversation>();
    for (const [n, [key, sender]] of [...distinct].entries()) {
      const row = byN.get(n);
      const contact = row && resolved(row);
      answers.set(
        key,
        contact && row.conversation_id
          ? { ...contact, conversationId: row.conversation_id }
          : await this.settleLate(sender, row?.made ?? null, manager),
      );
    }
    return senders.map((sender) => answers.get(keyOf(sender))!);
  }

  /** A sender the one-statement resolve could not finish (its identity lost a race): the winner's contact, and its conversation. */
  private async settleLate({ scope, externalId, at }: Sender, made: string | null, manager: EntityManager): Promise<ResolvedConversation> {
    const contact = await this.settleRace(scope, externalId, made, manager);
    return { ...contact, conversationId: await this.conversations.findOrCreateId(scope.organizationId, contact.contactId, scope.channel, at, manager) };
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

/**
 * `RESOLVE` and the conversation for many senders: `$1` is a JSON array of distinct
 * `{ n, org, channel, account, ext, at }`. New contacts get their ids up front, so each is
 * matched to its sender; one conversation is made per contact and channel.
 */
const RESOLVE_MANY = `WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(n int, org uuid, channel message_channel, account text, ext text, at timestamptz)
  ), found AS (
    SELECT i.n, ci.contact_id FROM input i
    JOIN contact_identities ci ON ci.organization_id = i.org AND ci.channel = i.channel AND ci.account_id = i.account AND ci.external_id = i.ext
  ), fresh AS (
    SELECT i.n, gen_random_uuid() AS id FROM input i WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.n = i.n)
  ), made AS (
    INSERT INTO contacts (id, organization_id) SELECT f.id, i.org FROM fresh f JOIN input i USING (n) RETURNING id
  ), linked AS (
    INSERT INTO contact_identities (organization_id, contact_id, channel, account_id, external_id)
    SELECT i.org, f.id, i.channel, i.account, i.ext FROM made JOIN fresh f USING (id) JOIN input i USING (n)
    ON CONFLICT ON CONSTRAINT ${IDENTITY_KEY} DO NOTHING RETURNING contact_id
  ), resolved AS (
    SELECT i.n, i.org, i.channel, i.at, f.contact_id AS found, l.contact_id AS linked, fr.id AS made, COALESCE(f.contact_id, l.contact_id) AS contact_id
    FROM input i LEFT JOIN found f USING (n) LEFT JOIN fresh fr USING (n) LEFT JOIN linked l ON l.contact_id = fr.id
  ), wanted AS (
    SELECT DISTINCT ON (org, contact_id, channel) org, contact_id, channel, at FROM resolved WHERE contact_id IS NOT NULL
    ORDER BY org, contact_id, channel, at
  ), existing AS (
    -- Read, not upserted: upserting a conversation that exists writes a new version of its row
    -- for nothing (one per event, as many as the apply's own updates).
    SELECT c.id, c.contact_id, c.channel FROM wanted w
    JOIN conversations c ON c.organization_id = w.org AND c.contact_id = w.contact_id AND c.channel = w.channel
  ), created AS (
    -- One another transaction made after this statement's snapshot is taken by the upsert.
    INSERT INTO conversations (organization_id, contact_id, channel, last_message_at)
    SELECT w.org, w.contact_id, w.channel, w.at FROM wanted w
    WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.contact_id = w.contact_id AND e.channel = w.channel)
    ORDER BY w.org, w.contact_id, w.channel
    ON CONFLICT ON CONSTRAINT uq_conversations_org_contact_channel DO UPDATE SET organization_id = EXCLUDED.organization_id
    RETURNING id, contact_id, channel
  ), conversation AS (
    SELECT id, contact_id, channel FROM existing UNION ALL SELECT id, contact_id, channel FROM created
  )
  SELECT r.n, r.found, r.linked, r.made, c.id AS conversation_id
  FROM resolved r LEFT JOIN conversation c ON c.contact_id = r.contact_id AND c.channel = r.channel`;
