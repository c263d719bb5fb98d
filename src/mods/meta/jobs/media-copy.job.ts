import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../../../jobs/job-queue.service';
import { InboundMediaService } from '../services/inbound-media.service';

export const MEDIA_COPY_JOB = 'meta.media.copy';
/** Meta's CDN links live for days; five tries over ≈1.5 min ride out a blip, then the file is marked unavailable. */
export const MEDIA_COPY_ATTEMPTS = 5;

export interface MediaCopyPayload {
  organizationId: string;
  attachmentId: string;
}

@Injectable()
export class MediaCopyJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly media: InboundMediaService,
  ) {}

  onModuleInit(): void {
    this.jobs.register<MediaCopyPayload>(MEDIA_COPY_JOB, (payload, context) => this.media.copy(payload, context));
  }
}
