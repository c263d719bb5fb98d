import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Contact } from '../../../contacts/contact.entity';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import type { JobContext } from '../../../jobs/job-queue.service';
import { MessageChannel } from '../../../messaging/message-channel';
import { MetaConnectionStatus } from '../entities/organization-meta-settings.entity';
import type { ProfileFetchPayload } from '../jobs/profile-fetch.job';
import { FACEBOOK_PROFILE_FIELDS, INSTAGRAM_PROFILE_FIELDS, mapFacebookProfile, mapInstagramProfile } from '../mappers/profile.mapper';
import { GraphApiClient } from './graph-api.client';
import { GraphErrorKind, MetaApiError } from './graph-error';
import { InboundRecorderService } from '../../../messaging/ingest/inbound-recorder.service';
import { MetaSettingsService } from './meta-settings.service';

/**
 * A new sender's name and picture (and, on Instagram, follow/verified signals) from the Graph
 * API. Runs in its own job: a failure is retried by the job and never touches the message.
 */
@Injectable()
export class ProfileFetchService {
  private readonly logger = new Logger('MetaProfiles');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly graph: GraphApiClient,
    private readonly settings: MetaSettingsService,
    private readonly coreConf: CoreConfService,
    private readonly recorder: InboundRecorderService,
  ) {}

  async fetch(payload: ProfileFetchPayload, context: JobContext): Promise<void> {
    const row = await this.settings.forOrganization(payload.organizationId);
    if (!row || row.status === MetaConnectionStatus.Expired) return;
    const connection = this.settings.decrypt(row);
    const app = await this.coreConf.metaApp();
    const instagram = payload.channel === MessageChannel.InstagramDm;
    let raw: Record<string, unknown>;
    try {
      raw = await this.graph.request<Record<string, unknown>>({
        method: 'GET',
        path: encodeURIComponent(payload.userId),
        accessToken: connection.pageAccessToken,
        appSecret: app?.appSecret,
        params: { fields: instagram ? INSTAGRAM_PROFILE_FIELDS : FACEBOOK_PROFILE_FIELDS },
      });
    } catch (error) {
      if (error instanceof MetaApiError && error.kind === GraphErrorKind.TokenExpired) {
        await this.settings.markExpired(payload.organizationId);
        return;
      }
      // A refusal (permission, unknown user…) answers the same on every try: keep the contact unnamed.
      if (error instanceof MetaApiError && !error.transient) {
        this.logger.warn(`profile of contact ${payload.contactId} not available (Meta code ${error.code}): ${error.message}`);
        return;
      }
      const level = context.isLastAttempt ? 'giving up' : 'will retry';
      this.logger.warn(`profile of contact ${payload.contactId} not fetched (${level}): ${(error as Error).message}`);
      throw error;
    }
    const columns = instagram ? mapInstagramProfile(raw) : mapFacebookProfile(raw);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Contact, { id: payload.contactId, organizationId: payload.organizationId }, { ...columns, profileFetchedAt: new Date() });
      await this.recorder.contactChanged(manager, payload.organizationId, payload.contactId);
    });
  }
}
