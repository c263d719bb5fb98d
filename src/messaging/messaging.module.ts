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
import { AttachmentsController } from './api/attachments.controller';
import { ConversationActionsController } from './api/conversation-actions.controller';
import { ReactionsController } from './api/reactions.controller';
import { SendController } from './api/send.controller';
import { ChannelRegistry } from './channels/channel-registry';
import { SendMessagesJob } from './jobs/send-messages.job';
import { AttachmentsService } from './services/attachments.service';
import { OutboundFilesService } from './services/outbound-files.service';
import { IdempotencyService } from './services/idempotency.service';
import { SendConversationActionsService } from './services/send-conversation-actions.service';
import { SendRecipients } from './services/send-recipients.service';
import { SendStoreService } from './services/send-store.service';
import { SendMessagesService } from './services/send-messages.service';
import { SendReactionsService } from './services/send-reactions.service';
import { SendRecordsService } from './services/send-records.service';
import { PrivateRepliesService } from './services/private-replies.service';
import { PrivateReplyRecordsService } from './services/private-reply-records.service';
import { ContactIdentitiesService } from './ingest/contact-identities.service';
import { InboundChangesService } from './ingest/inbound-changes.service';
import { InboundChannelRegistry } from './ingest/inbound-channel';
import { InboundMediaService } from './ingest/inbound-media.service';
import { InboundMessagesService } from './ingest/inbound-messages.service';
import { InboundReceiptsService } from './ingest/inbound-receipts.service';
import { InboundRecorderService } from './ingest/inbound-recorder.service';
import { IngestService } from './ingest/ingest.service';
import { MediaCopyJob } from './ingest/media-copy.job';

/**
 * Conversations, messages and attachments across channels, and the ingest that writes every
 * inbound item. It knows channels only through `MessageChannel` and the channel registries
 * (senders, inbound channels); it never imports a channel module's code.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Conversation, Message, Attachment])],
  controllers: [ConversationsReadController, StatsController, SendController, AttachmentsController, ConversationActionsController, ReactionsController],
  providers: [
    MessageViews,
    ConversationsService,
    InboxQueryService,
    StatsService,
    ChannelRegistry,
    IdempotencyService,
    SendRecordsService,
    SendMessagesService,
    SendStoreService,
    SendRecipients,
    SendMessagesJob,
    AttachmentsService,
    OutboundFilesService,
    SendReactionsService,
    SendConversationActionsService,
    PrivateRepliesService,
    PrivateReplyRecordsService,
    ContactIdentitiesService,
    InboundChannelRegistry,
    InboundMessagesService,
    InboundReceiptsService,
    InboundChangesService,
    InboundRecorderService,
    InboundMediaService,
    MediaCopyJob,
    IngestService,
  ],
  exports: [
    MessageViews,
    ConversationsService,
    TypeOrmModule,
    ChannelRegistry,
    PrivateRepliesService,
    PrivateReplyRecordsService,
    ContactIdentitiesService,
    InboundChannelRegistry,
    InboundRecorderService,
    IngestService,
  ],
})
export class MessagingModule {}
