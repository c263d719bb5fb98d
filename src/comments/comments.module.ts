import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessagingModule } from '../messaging/messaging.module';
import { CommentsController } from './api/comments.controller';
import { CommentChannelRegistry } from './channels/comment-channel.registry';
import { CommentReply } from './entities/comment-reply.entity';
import { Comment } from './entities/comment.entity';
import { CommentActionsService } from './services/comment-actions.service';
import { CommentEventsService } from './services/comment-events.service';
import { CommentViews } from './services/comment-views.service';
import { CommentsIngestService } from './services/comments-ingest.service';
import { CommentsQueryService } from './services/comments-query.service';

/**
 * Comments on the organization's posts and media, across channels: storage, ingest of channel
 * changes, the comments routes and their events. It knows channels only through
 * `CommentChannelRegistry` and messaging's private replies.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Comment, CommentReply]), MessagingModule],
  controllers: [CommentsController],
  providers: [CommentChannelRegistry, CommentViews, CommentEventsService, CommentsIngestService, CommentsQueryService, CommentActionsService],
  exports: [CommentChannelRegistry, CommentsIngestService],
})
export class CommentsModule {}
