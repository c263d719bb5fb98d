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

/** Reads an organization's Meta connection, routes webhooks to it, and marks it expired. */
@Injectable()
export class MetaSettingsService {
  private readonly logger = new Logger('MetaConnection');

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
    switch (channel) {
      case MessageChannel.FacebookMessenger:
        return (await this.byPageId(accountId))?.organizationId ?? null;
      case MessageChannel.InstagramDm:
        return (await this.byInstagramAccountId(accountId))?.organizationId ?? null;
      default:
        return assertUnreachable(channel);
    }
  }

  /**
   * The connection a send needs, or the contract's refusal: not connected, then expired,
   * then (for Instagram) no linked account — organization checks before contact checks.
   */
  async requireActive(organizationId: string, options: { instagram: boolean }): Promise<ActiveConnection> {
    const row = await this.forOrganization(organizationId);
    if (!row) throw new DomainError(DomainErrorCode.MetaNotConnected, ErrorMessages.notConnected);
    if (row.status === MetaConnectionStatus.Expired) {
      throw new DomainError(DomainErrorCode.MetaConnectionExpired, ErrorMessages.connectionExpired);
    }
    if (options.instagram && !row.instagramAccountId) {
      throw new DomainError(DomainErrorCode.InstagramNotLinked, ErrorMessages.instagramNotLinked);
    }
    return this.decrypt(row);
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
    const expired = await this.settings.manager.transaction(async (manager) => {
      const result = await manager.update(OrganizationMetaSettings, { organizationId, status: MetaConnectionStatus.Active }, { status: MetaConnectionStatus.Expired });
      if (result.affected) await this.recordConnectionUpdated(manager, organizationId);
      return Boolean(result.affected);
    });
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
