import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { MessageChannel } from '../../messaging/message-channel';
import { PrivateRepliesService } from '../../messaging/services/private-replies.service';
import { PrivateReplyRecordsService } from '../../messaging/services/private-reply-records.service';
import { CommentView, PrivateReplyAnswerView, PublicReplyView } from '../api/comment.view';
import { CommentChannelRegistry } from '../channels/comment-channel.registry';
import { iso } from '../../messaging/views/message.view';
import { Comment } from '../entities/comment.entity';
import { CommentEventsService } from './comment-events.service';
import { CommentsQueryService } from './comments-query.service';

/** Meta accepts a private reply up to 7 days after the comment. */
export const PRIVATE_REPLY_WINDOW_MS = 7 * 24 * 3600 * 1000;

export const CommentRefusals = {
  tooOld: 'This comment is more than 7 days old, and Meta allows a private reply only within 7 days of a comment. Reply publicly instead.',
  ownComment: 'This comment was written by your Page or account; a private reply goes to the person who commented.',
  removed: 'This comment was removed, so it can no longer be answered.',
} as const;

/** What an agent does with a comment: reply privately or publicly, hide and unhide. */
@Injectable()
export class CommentActionsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly comments: CommentsQueryService,
    private readonly channels: CommentChannelRegistry,
    private readonly privateReplies: PrivateRepliesService,
    private readonly privateReplyRecords: PrivateReplyRecordsService,
    private readonly events: CommentEventsService,
  ) {}

  onModuleInit(): void {
    // Once a private reply joins its conversation, the comment shows it with its conversationId.
    this.privateReplyRecords.onJoined((manager, organizationId, channel, externalId) => this.recordByExternalId(manager, organizationId, channel, externalId));
  }

  async privateReply(organizationId: string, id: string, text: string): Promise<PrivateReplyAnswerView> {
    const comment = await this.comments.require(organizationId, id);
    if (comment.fromPage) throw new DomainError(DomainErrorCode.UnprocessableRequest, CommentRefusals.ownComment);
    if (comment.deletedAt) throw new DomainError(DomainErrorCode.UnprocessableRequest, CommentRefusals.removed);
    if (Date.now() - comment.commentedAt.getTime() > PRIVATE_REPLY_WINDOW_MS) throw new DomainError(DomainErrorCode.UnprocessableRequest, CommentRefusals.tooOld);
    await this.privateReplies.checkReady(organizationId, comment.channel);
    return this.dataSource.transaction(async (manager) => {
      const message = await this.privateReplies.accept(manager, organizationId, comment.channel, comment.externalId, text);
      await this.events.recordUpdated(manager, organizationId, [comment.id]);
      return { message };
    });
  }

  async reply(organizationId: string, id: string, text: string): Promise<PublicReplyView> {
    const comment = await this.comments.require(organizationId, id);
    if (comment.deletedAt) throw new DomainError(DomainErrorCode.UnprocessableRequest, CommentRefusals.removed);
    const externalId = await this.channels.get(comment.channel).reply(organizationId, comment.channel, comment.externalId, text);
    const row = await this.dataSource.transaction(async (manager) => {
      // The webhook announcing this reply may have recorded it first: either way, one row.
      const [stored] = await manager.query(
        `INSERT INTO comment_replies (organization_id, comment_id, channel, external_id, text)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ON CONSTRAINT uq_comment_replies_channel_external_id DO UPDATE SET text = comment_replies.text
         RETURNING id, text, created_at`,
        [organizationId, comment.id, comment.channel, externalId, text],
      );
      await this.events.recordUpdated(manager, organizationId, [comment.id]);
      return stored;
    });
    return { id: row.id, commentId: comment.id, externalId, text: row.text, createdAt: iso(row.created_at)! };
  }

  async setHidden(organizationId: string, id: string, hidden: boolean): Promise<CommentView> {
    const comment = await this.comments.require(organizationId, id);
    await this.channels.get(comment.channel).setHidden(organizationId, comment.channel, comment.externalId, hidden);
    await this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query(`UPDATE comments SET hidden = $2, hidden_changed_at = now(), updated_at = now() WHERE id = $1 AND hidden <> $2 RETURNING id`, [
        comment.id,
        hidden,
      ]);
      if (rows.length > 0) await this.events.recordUpdated(manager, organizationId, [comment.id]);
    });
    return this.comments.get(organizationId, id);
  }

  private async recordByExternalId(manager: EntityManager, organizationId: string, channel: MessageChannel, externalId: string): Promise<void> {
    const rows: Pick<Comment, 'id'>[] = await manager.query(`SELECT id FROM comments WHERE organization_id = $1 AND channel = $2 AND external_id = $3`, [
      organizationId,
      channel,
      externalId,
    ]);
    await this.events.recordUpdated(manager, organizationId, rows.map((row) => row.id));
  }
}
