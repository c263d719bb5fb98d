import { Injectable, Logger } from '@nestjs/common';
import { CommentsIngestService } from '../../../comments/services/comments-ingest.service';
import { CommentChanges, mapCommentChange } from '../mappers/comment-change.mapper';
import { MetaSettingsService } from './meta-settings.service';

/** Routes a post's comment changes to the organization that connected the Page / account, and applies each. */
@Injectable()
export class InboundCommentsService {
  private readonly logger = new Logger('InboundComments');

  constructor(
    private readonly settings: MetaSettingsService,
    private readonly ingest: CommentsIngestService,
  ) {}

  async applyAll({ channel, accountId, receivedAt, changes }: CommentChanges): Promise<void> {
    // Never route by a missing id (a lookup by `undefined` would match any row).
    if (typeof accountId !== 'string' || accountId === '' || !Array.isArray(changes)) throw new Error('inbound comments job without an account id or changes');
    const organizationId = await this.settings.organizationOf(channel, accountId);
    if (!organizationId) {
      this.logger.warn(`ignored ${changes.length} ${channel} comment change(s) for unknown account "${accountId}"`);
      return;
    }
    for (const item of changes) {
      const change = mapCommentChange(channel, accountId, item, receivedAt);
      if (change.type === 'ignored') {
        this.logger.log(`ignored a ${channel} change: ${change.reason}`);
        continue;
      }
      await this.ingest.apply({ organizationId, channel, accountId }, change);
    }
  }
}
