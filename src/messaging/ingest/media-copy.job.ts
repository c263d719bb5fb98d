import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue, MEDIA_WORKERS } from '../../jobs/job-queue.service';
import { AppConfig } from '../../config/app-config';
import { InboundMediaService } from './inbound-media.service';

/** The name it had when only Meta's CDN was copied from: jobs queued before an upgrade still run. */
export const MEDIA_COPY_JOB = 'meta.media.copy';
/** CDN links live for days; five tries over ≈1.5 min ride out a blip, then the file is marked unavailable. */
export const MEDIA_COPY_ATTEMPTS = 5;

export interface MediaCopyPayload {
  organizationId: string;
  attachmentId: string;
}

@Injectable()
export class MediaCopyJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly media: InboundMediaService,
  ) {}

  onModuleInit(): void {
    // Downloads wait on Meta's CDN: on the media workers, never on those that apply inbound events.
    this.jobs.registerIsolated<MediaCopyPayload>(MEDIA_WORKERS, this.config.mediaWorkerConcurrency, MEDIA_COPY_JOB, (payload, context) => this.media.copy(payload, context));
  }
}
