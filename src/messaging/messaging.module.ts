import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Attachment } from './entities/attachment.entity';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { ConversationsService } from './services/conversations.service';
import { MessageViews } from './views/message-views.service';

/**
 * Conversations, messages and attachments across channels. It knows channels only through
 * `MessageChannel` and the channel registry; it never imports a channel module's code.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Conversation, Message, Attachment])],
  providers: [MessageViews, ConversationsService],
  exports: [MessageViews, ConversationsService, TypeOrmModule],
})
export class MessagingModule {}
