import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../../../jobs/job-queue.service';
import type { CommentChanges } from '../mappers/comment-change.mapper';
import { InboundCommentsService } from '../services/inbound-comments.service';

export const INBOUND_COMMENTS_JOB = 'meta.inbound.comments';

/** As many tries as inbound messages get: backoff grows to hours, then an operator looks. */
export const INBOUND_COMMENTS_ATTEMPTS = 12;

/**
 * Applies one post's comment changes from one delivery, in Meta's order. The webhook stores
 * these jobs before answering Meta; jobs of one post share an ordered named queue, so a reply
 * never overtakes the comment it answers and an edit never overtakes the comment it edits, also
 * while an earlier change waits for its retry.
 */
@Injectable()
export class InboundCommentsJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly inbound: InboundCommentsService,
  ) {}

  onModuleInit(): void {
    this.jobs.register<CommentChanges>(INBOUND_COMMENTS_JOB, (payload) => this.inbound.applyAll(payload), { ordered: true });
  }
}
