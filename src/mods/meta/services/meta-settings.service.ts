import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { assertUnreachable } from '../../../common/assert-unreachable';
import { DomainError, DomainErrorCode, ErrorMessages } from '../../../common/domain-error';
import { MessageChannel } from '../../../messaging/message-channel';
import { ConnectionStatusView } from '../../../realtime/realtime.events';
import { DomainEvents } from '../../../events/domain-events.service';
import { EncryptionService } from '../../../security/encryption.service';
import { MetaConnectionStatus, OrganizationMetaSettings } from '../entities/organization-meta-settings.entity';

/** A usable connection: the settings row with its Page token decrypted. */
export interface ActiveConnection {
  organizationId: string;
  pageId: string;
  pageAccessToken: string;
  instagramAccountId: string | null;
}

/**
 * How long this instance trusts an active connection it read. A disconnect, reconnect or expiry
 * made through this instance applies at once; one made through another instance within this
 * long (a send it accepts meanwhile goes out with the connection as it was a moment ago).
 */
export const CONNECTION_CACHE_TTL_MS = 2_000;

type ActiveConnectionRow = OrganizationMetaSettings & { connection: ActiveConnection };

/** Reads an organization's Meta connection, routes webhooks to it, and marks it expired. */
@Injectable()
export class MetaSettingsService {
  private readonly logger = new Logger('MetaConnection');
  /**
   * Active connections as last read, per organization: every send read the row and decrypted its
   * token twice (request and job). The promise is kept, so concurrent callers share one read; only
   * an active row is kept (a refusal is always read fresh), and `forget` drops the entry, so a
   * read that raced a change made here is never kept.
   */
  private readonly active = new Map<string, { value: Promise<ActiveConnectionRow | null>; expiresAt: number }>();

  constructor(
    @InjectRepository(OrganizationMetaSettings) private readonly settings: Repository<OrganizationMetaSettings>,
    private readonly encryption: EncryptionService,
    private readonly events: DomainEvents,
  ) {}

  forOrganization(organizationId: string): Promise<OrganizationMetaSettings | null> {
    return this.settings.findOneBy({ organizationId });
  }

  byPageId(pageId: string): Promise<OrganizationMetaSettings | null> {
    return this.settings.findOneBy({ pageId });
  }

  byInstagramAccountId(instagramAccountId: string): Promise<OrganizationMetaSettings | null> {
    return this.settings.findOneBy({ instagramAccountId });
  }

  /** The organization a webhook for this Page (Messenger) or Instagram account belongs to, if any. */
  async organizationOf(channel: MessageChannel, accountId: string): Promise<string | null> {
    return (await this.organizationsOf([{ channel, accountId }])).get(routeKey(channel, accountId)) ?? null;
  }

  /**
   * The organizations many accounts belong to, in one read: keyed by `routeKey`, an account no
   * organization has connected is missing.
   */
  async organizationsOf(accounts: { channel: MessageChannel; accountId: string }[], manager: EntityManager = this.settings.manager): Promise<Map<string, string>> {
    const pages = new Set<string>();
    const instagram = new Set<string>();
    for (const { channel, accountId } of accounts) {
      switch (channel) {
        case MessageChannel.FacebookMessenger:
          pages.add(accountId);
          break;
        case MessageChannel.InstagramDm:
          instagram.add(accountId);
          break;
        default:
          assertUnreachable(channel);
      }
    }
    const routes = new Map<string, string>();
    if (pages.size === 0 && instagram.size === 0) return routes;
    const rows: { page_id: string; instagram_account_id: string | null; organization_id: string }[] = await manager.query(
      `SELECT page_id, instagram_account_id, organization_id FROM organization_meta_settings WHERE page_id = ANY($1::text[]) OR instagram_account_id = ANY($2::text[])`,
      [[...pages], [...instagram]],
    );
    for (const row of rows) {
      if (pages.has(row.page_id)) routes.set(routeKey(MessageChannel.FacebookMessenger, row.page_id), row.organization_id);
      if (row.instagram_account_id && instagram.has(row.instagram_account_id)) routes.set(routeKey(MessageChannel.InstagramDm, row.instagram_account_id), row.organization_id);
    }
    return routes;
  }

  /**
   * The connection a send needs, or the contract's refusal: not connected, then expired,
   * then (for Instagram) no linked account — organization checks before contact checks.
   */
  async requireActive(organizationId: string, options: { instagram: boolean }): Promise<ActiveConnection> {
    const row = await this.recentRow(organizationId);
    if (!row) throw new DomainError(DomainErrorCode.MetaNotConnected, ErrorMessages.notConnected);
    if (row.status === MetaConnectionStatus.Expired) {
      throw new DomainError(DomainErrorCode.MetaConnectionExpired, ErrorMessages.connectionExpired);
    }
    if (options.instagram && !row.instagramAccountId) {
      throw new DomainError(DomainErrorCode.InstagramNotLinked, ErrorMessages.instagramNotLinked);
    }
    return row.connection;
  }

  /** The connection changed through this instance (connected, disconnected, expired): read it afresh from now on. */
  forget(organizationId: string): void {
    this.active.delete(organizationId);
  }

  /** The row, at most CONNECTION_CACHE_TTL_MS old when it was active, read now otherwise. */
  private recentRow(organizationId: string): Promise<ActiveConnectionRow | null> {
    const cached = this.active.get(organizationId);
    if (cached && cached.expiresAt > Date.now()) return cached.value;
    const entry = {
      value: this.forOrganization(organizationId).then((row) => (row ? { ...row, connection: this.decrypt(row) } : null)),
      expiresAt: Date.now() + CONNECTION_CACHE_TTL_MS,
    };
    this.active.set(organizationId, entry);
    const drop = () => {
      if (this.active.get(organizationId) === entry) this.active.delete(organizationId);
    };
    entry.value.then((row) => row?.status !== MetaConnectionStatus.Active && drop(), drop);
    return entry.value;
  }

  decrypt(row: OrganizationMetaSettings): ActiveConnection {
    return {
      organizationId: row.organizationId,
      pageId: row.pageId,
      pageAccessToken: this.encryption.decrypt(row.pageAccessToken),
      instagramAccountId: row.instagramAccountId,
    };
  }

  /** After a Graph 190: the connection is expired until reconnected (`connection.updated` once). */
  async markExpired(organizationId: string): Promise<void> {
    this.forget(organizationId);
    const expired = await this.settings.manager
      .transaction(async (manager) => {
        const result = await manager.update(OrganizationMetaSettings, { organizationId, status: MetaConnectionStatus.Active }, { status: MetaConnectionStatus.Expired });
        if (result.affected) await this.recordConnectionUpdated(manager, organizationId);
        return Boolean(result.affected);
      })
      .finally(() => this.forget(organizationId));
    if (!expired) return;
    const status = await this.statusView(organizationId);
    this.logger.warn({
      msg: `Meta connection expired (Graph error 190): Page ${status.pageId}; sends are refused until the organization reconnects`,
      organizationId,
      pageId: status.pageId,
      instagramAccountId: status.instagramAccountId,
    });
  }

  async statusView(organizationId: string, manager: EntityManager = this.settings.manager): Promise<ConnectionStatusView> {
    const row = await manager.findOneBy(OrganizationMetaSettings, { organizationId });
    return {
      connected: row !== null,
      status: row?.status ?? null,
      pageId: row?.pageId ?? null,
      pageName: row?.pageName ?? null,
      instagramAccountId: row?.instagramAccountId ?? null,
      instagramUsername: row?.instagramUsername ?? null,
    };
  }

  /** In the transaction that changed the connection: `connection.updated` with its status as it now is. */
  async recordConnectionUpdated(manager: EntityManager, organizationId: string): Promise<void> {
    const view = await this.statusView(organizationId, manager);
    await this.events.record(manager, organizationId, [{ type: 'connection.updated', object: view, realtime: [{ event: 'connection.updated' }] }]);
  }
}

/** How `organizationsOf` names an account. */
export function routeKey(channel: MessageChannel, accountId: string): string {
  return `${channel}:${accountId}`;
}
