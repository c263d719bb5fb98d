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

/** The Meta app credentials, set at run time by an admin; the secret encrypted at rest. */
@Injectable()
export class CoreConfService {
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
    await this.rows.upsert({ id: 1, ...changes }, { conflictPaths: ['id'], skipUpdateIfNoValuesChanged: true });
    return this.view();
  }

  /** The app credentials, or undefined while the app id or secret is missing. */
  async metaApp(): Promise<MetaAppCredentials | undefined> {
    const row = await this.row();
    if (!row?.metaMessagingAppId || !row.metaMessagingAppSecret) return undefined;
    return {
      appId: row.metaMessagingAppId,
      appSecret: this.encryption.decrypt(row.metaMessagingAppSecret),
      verifyToken: row.metaMessagingVerifyToken,
    };
  }

  /** Like `metaApp`, but refuses with the contract's message while it is missing. */
  async requireMetaApp(): Promise<MetaAppCredentials> {
    const app = await this.metaApp();
    if (!app) throw new DomainError(DomainErrorCode.MetaAppNotConfigured, ErrorMessages.metaAppNotConfigured);
    return app;
  }

  private row(): Promise<CoreConf | null> {
    return this.rows.findOneBy({ id: 1 });
  }
}
