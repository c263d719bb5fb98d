import { Injectable, OnModuleInit } from '@nestjs/common';
import { InboundQueue } from '../../../jobs/inbound-queue';
import type { CommentChanges } from '../mappers/comment-change.mapper';
import { InboundCommentsService } from '../services/inbound-comments.service';

/** The inbound work of a post's comment changes from one delivery. */
export const INBOUND_COMMENTS_JOB = 'meta.inbound.comments';

/** As many tries as inbound messages get: backoff grows to hours, then an operator looks. */
export const INBOUND_COMMENTS_ATTEMPTS = 12;

/**
 * Applies one post's comment changes from one delivery, in Meta's order. The webhook stores them
 * as a row of the inbound queue, in the post's lane, before answering Meta, so a reply never
 * overtakes the comment it answers and an edit never overtakes the comment it edits, also while
 * an earlier change waits for its retry.
 */
@Injectable()
export class InboundCommentsJob implements OnModuleInit {
  constructor(
    private readonly queue: InboundQueue,
    private readonly inbound: InboundCommentsService,
  ) {}

  onModuleInit(): void {
    this.queue.register<CommentChanges>(INBOUND_COMMENTS_JOB, { maxAttempts: INBOUND_COMMENTS_ATTEMPTS, applyAlone: (payload) => this.inbound.applyAll(payload) });
  }
}
