import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JobQueue } from '../../../jobs/job-queue.service';
import { CreatedContact, InboundChannel, InboundChannelRegistry } from '../../../messaging/ingest/inbound-channel';
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

  /** Each in its own job, after commit: a slow or failing Graph API never holds the message back. */
  contactsCreated(created: CreatedContact[], manager: EntityManager): Promise<void> {
    // The keys are new: each names a contact this transaction made.
    const jobs = created.map(({ scope, contactId, externalId }) => ({
      name: PROFILE_FETCH_JOB,
      payload: { organizationId: scope.organizationId, contactId, channel: scope.channel, userId: externalId } satisfies ProfileFetchPayload,
      options: { jobKey: `meta-profile:${contactId}`, maxAttempts: PROFILE_FETCH_ATTEMPTS },
    }));
    return this.jobs.addWithNewKeys(jobs, manager);
  }
}
