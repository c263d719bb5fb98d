import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JobQueue } from '../../../jobs/job-queue.service';
import { InboundChannel, InboundChannelRegistry } from '../../../messaging/ingest/inbound-channel';
import type { InboundScope } from '../../../messaging/ingest/inbound-item';
import { MESSAGE_CHANNELS } from '../../../messaging/message-channel';
import { PROFILE_FETCH_ATTEMPTS, PROFILE_FETCH_JOB, ProfileFetchPayload } from '../jobs/profile-fetch.job';

/** Messenger and Instagram DM as seen by the ingest: a new person's profile is fetched from the Graph API. */
@Injectable()
export class MetaInboundChannel implements InboundChannel, OnModuleInit {
  constructor(
    private readonly registry: InboundChannelRegistry,
    private readonly jobs: JobQueue,
  ) {}

  onModuleInit(): void {
    for (const channel of MESSAGE_CHANNELS) this.registry.register(channel, this);
  }

  /** In its own job, after commit: a slow or failing Graph API never holds the message back. */
  contactCreated(scope: InboundScope, contactId: string, externalId: string, manager: EntityManager): Promise<void> {
    const payload: ProfileFetchPayload = { organizationId: scope.organizationId, contactId, channel: scope.channel, userId: externalId };
    return this.jobs.add(PROFILE_FETCH_JOB, payload, { jobKey: `meta-profile:${contactId}`, maxAttempts: PROFILE_FETCH_ATTEMPTS }, manager);
  }
}
