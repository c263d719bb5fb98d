import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue, MEDIA_WORKERS } from '../../../jobs/job-queue.service';
import { AppConfig } from '../../../config/app-config';
import { MessageChannel } from '../../../messaging/message-channel';
import { ProfileFetchService } from '../services/profile-fetch.service';

export const PROFILE_FETCH_JOB = 'meta.profile.fetch';
/** Retried with backoff (≈1.5 min in all); the message never waits for it. */
export const PROFILE_FETCH_ATTEMPTS = 5;

export interface ProfileFetchPayload {
  organizationId: string;
  contactId: string;
  channel: MessageChannel;
  /** PSID or IGSID. */
  userId: string;
}

@Injectable()
export class ProfileFetchJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly profiles: ProfileFetchService,
  ) {}

  onModuleInit(): void {
    // Graph profile reads wait on Meta: on the media workers, never on those that apply inbound events.
    this.jobs.registerIsolated<ProfileFetchPayload>(MEDIA_WORKERS, this.config.mediaWorkerConcurrency, PROFILE_FETCH_JOB, (payload, context) => this.profiles.fetch(payload, context));
  }
}
