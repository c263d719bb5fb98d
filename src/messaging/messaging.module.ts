import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConversationsReadController } from './api/conversations-read.controller';
import { StatsController } from './api/stats.controller';
import { Attachment } from './entities/attachment.entity';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { ConversationsService } from './services/conversations.service';
import { InboxQueryService } from './services/inbox-query.service';
import { StatsService } from './services/stats.service';
import { MessageViews } from './views/message-views.service';

/**
 * Conversations, messages and attachments across channels. It knows channels only through
 * `MessageChannel` and the channel registry; it never imports a channel module's code.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Conversation, Message, Attachment])],
  controllers: [ConversationsReadController, StatsController],
  providers: [MessageViews, ConversationsService, InboxQueryService, StatsService],
  exports: [MessageViews, ConversationsService, TypeOrmModule],
})
export class MessagingModule {}
