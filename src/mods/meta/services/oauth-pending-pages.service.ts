import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, Repository } from 'typeorm';
import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import { EncryptionService } from '../../../security/encryption.service';
import { MetaPendingPage } from '../entities/meta-pending-page.entity';
import type { GrantedPage } from '../types/graph-api.types';

export const PENDING_PAGES_TTL_MS = 15 * 60 * 1000;

/** What the person sees of a held Page: never its token. */
export interface PendingPageView {
  id: string;
  name: string | null;
  instagramAccountId: string | null;
  instagramUsername: string | null;
}

/** Pages a login granted, held per organization for 15 minutes until one is chosen. */
@Injectable()
export class OAuthPendingPagesService {
  constructor(
    @InjectRepository(MetaPendingPage) private readonly pending: Repository<MetaPendingPage>,
    private readonly encryption: EncryptionService,
  ) {}

  /** Replaces whatever the organization held before with this login's Pages. */
  async hold(organizationId: string, pages: GrantedPage[]): Promise<void> {
    const expiresAt = new Date(Date.now() + PENDING_PAGES_TTL_MS);
    await this.pending.manager.transaction(async (manager) => {
      await manager.delete(MetaPendingPage, { organizationId });
      await manager.delete(MetaPendingPage, { expiresAt: LessThan(new Date()) });
      await manager.insert(
        MetaPendingPage,
        pages.map((page) => ({
          organizationId,
          pageId: page.id,
          pageName: page.name,
          pageAccessToken: this.encryption.encrypt(page.accessToken),
          instagramAccountId: page.instagram?.id ?? null,
          instagramUsername: page.instagram?.username ?? null,
          expiresAt,
        })),
      );
    });
  }

  async list(organizationId: string): Promise<PendingPageView[]> {
    const rows = await this.pending.find({ where: { organizationId, expiresAt: MoreThan(new Date()) }, order: { pageName: 'ASC', pageId: 'ASC' } });
    return rows.map((row) => ({ id: row.pageId, name: row.pageName, instagramAccountId: row.instagramAccountId, instagramUsername: row.instagramUsername }));
  }

  /** The held Page with its token, or 404 when it was not held (or the hold expired). */
  async get(organizationId: string, pageId: string): Promise<GrantedPage> {
    const row = await this.pending.findOneBy({ organizationId, pageId, expiresAt: MoreThan(new Date()) });
    if (!row) {
      throw new DomainError(DomainErrorCode.NotFound, 'This Page is not waiting to be chosen (the choice expires after 15 minutes). Connect again via Settings > Integrations.');
    }
    return {
      id: row.pageId,
      name: row.pageName,
      accessToken: this.encryption.decrypt(row.pageAccessToken),
      instagram: row.instagramAccountId ? { id: row.instagramAccountId, username: row.instagramUsername } : null,
    };
  }

  async clear(organizationId: string): Promise<void> {
    await this.pending.delete({ organizationId });
  }
}
