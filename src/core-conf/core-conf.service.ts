import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DomainError, DomainErrorCode, ErrorMessages } from '../common/domain-error';
import { EncryptionService } from '../security/encryption.service';
import { CoreConf } from './core-conf.entity';

export interface MetaAppCredentials {
  appId: string;
  appSecret: string;
  verifyToken: string | null;
}

export interface SystemConfigUpdate {
  meta_messaging_app_id?: string;
  meta_messaging_app_secret?: string;
  meta_messaging_verify_token?: string;
}

export interface SystemConfigView {
  meta_messaging_app_id: string | null;
  /** Never the secret itself: a mask when one is set. */
  meta_messaging_app_secret: string | null;
  meta_messaging_verify_token: string | null;
}

export const SECRET_MASK = '********';

/**
 * How long this instance trusts its copy of the Meta app credentials. An admin change made
 * through this instance applies at once; one made through another instance within this long.
 */
export const META_APP_CACHE_TTL_MS = 5_000;

/** The Meta app credentials, set at run time by an admin; the secret encrypted at rest. */
@Injectable()
export class CoreConfService {
  /**
   * Every webhook request and every send needs the app credentials; reading and decrypting
   * them each time was a round trip per request. The promise is kept, so concurrent callers
   * share one read, and an update drops it, so a read that raced the update is never kept.
   */
  private cachedMetaApp?: { value: Promise<MetaAppCredentials | undefined>; expiresAt: number };

  constructor(
    @InjectRepository(CoreConf) private readonly rows: Repository<CoreConf>,
    private readonly encryption: EncryptionService,
  ) {}

  async view(): Promise<SystemConfigView> {
    const row = await this.row();
    return {
      meta_messaging_app_id: row?.metaMessagingAppId ?? null,
      meta_messaging_app_secret: row?.metaMessagingAppSecret ? SECRET_MASK : null,
      meta_messaging_verify_token: row?.metaMessagingVerifyToken ?? null,
    };
  }

  async update(update: SystemConfigUpdate): Promise<SystemConfigView> {
    const changes: Partial<CoreConf> = {};
    if (update.meta_messaging_app_id !== undefined) changes.metaMessagingAppId = update.meta_messaging_app_id;
    if (update.meta_messaging_app_secret !== undefined) {
      changes.metaMessagingAppSecret = this.encryption.encrypt(update.meta_messaging_app_secret);
    }
    if (update.meta_messaging_verify_token !== undefined) changes.metaMessagingVerifyToken = update.meta_messaging_verify_token;
    this.cachedMetaApp = undefined;
    try {
      await this.rows.upsert({ id: 1, ...changes }, { conflictPaths: ['id'], skipUpdateIfNoValuesChanged: true });
    } finally {
      this.cachedMetaApp = undefined;
    }
    return this.view();
  }

  /**
   * The app credentials, or undefined while the app id or secret is missing. At most
   * META_APP_CACHE_TTL_MS old (for the hot paths: webhook signatures, sends, profiles).
   */
  metaApp(): Promise<MetaAppCredentials | undefined> {
    const now = Date.now();
    if (this.cachedMetaApp && this.cachedMetaApp.expiresAt > now) return this.cachedMetaApp.value;
    return this.readMetaApp();
  }

  /** Like `metaApp`, but refuses with the contract's message while it is missing; always read fresh (admin-driven flows). */
  async requireMetaApp(): Promise<MetaAppCredentials> {
    const app = await this.readMetaApp();
    if (!app) throw new DomainError(DomainErrorCode.MetaAppNotConfigured, ErrorMessages.metaAppNotConfigured);
    return app;
  }

  /** Reads and decrypts the credentials, and keeps the answer for the next META_APP_CACHE_TTL_MS. */
  private readMetaApp(): Promise<MetaAppCredentials | undefined> {
    const entry = { value: this.loadMetaApp(), expiresAt: Date.now() + META_APP_CACHE_TTL_MS };
    this.cachedMetaApp = entry;
    // A failed read is not remembered.
    entry.value.catch(() => {
      if (this.cachedMetaApp === entry) this.cachedMetaApp = undefined;
    });
    return entry.value;
  }

  private async loadMetaApp(): Promise<MetaAppCredentials | undefined> {
    const row = await this.row();
    if (!row?.metaMessagingAppId || !row.metaMessagingAppSecret) return undefined;
    return {
      appId: row.metaMessagingAppId,
      appSecret: this.encryption.decrypt(row.metaMessagingAppSecret),
      verifyToken: row.metaMessagingVerifyToken,
    };
  }

  private row(): Promise<CoreConf | null> {
    return this.rows.findOneBy({ id: 1 });
  }
}
