import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsModule } from '../../contacts/contacts.module';
import { MessagingModule } from '../../messaging/messaging.module';
import { OrganizationMetaSettings } from './entities/organization-meta-settings.entity';
import { MetaOAuthState } from './entities/meta-oauth-state.entity';
import { MetaPendingPage } from './entities/meta-pending-page.entity';
import { MetaConnectionController } from './api/meta-connection.controller';
import { MetaOAuthCallbackController } from './api/meta-oauth-callback.controller';
import { MetaConnectionService } from './services/meta-connection.service';
import { MetaTokenService } from './services/meta-token.service';
import { OAuthCallbackService } from './services/oauth-callback.service';
import { OAuthPendingPagesService } from './services/oauth-pending-pages.service';
import { OAuthStateService } from './services/oauth-state.service';
import { GraphApiClient } from './services/graph-api.client';
import { MetaSettingsService } from './services/meta-settings.service';
import { MetaChannelSender } from './services/meta-channel.sender';
import { MetaRateLimiter } from './services/meta-rate-limiter';
import { MetaSendService } from './services/meta-send.service';
import { MetaReusableAttachments } from './services/meta-reusable-attachments.service';
import { MetaWebhookController } from './api/meta-webhook.controller';
import { InboundEventJob } from './jobs/inbound-event.job';
import { ProfileFetchJob } from './jobs/profile-fetch.job';
import { InboundEventService } from './services/inbound-event.service';
import { ProfileFetchService } from './services/profile-fetch.service';
import { WebhookReceiverService } from './services/webhook-receiver.service';
import { CommentsModule } from '../../comments/comments.module';
import { InboundCommentsJob } from './jobs/inbound-comments.job';
import { InboundCommentsService } from './services/inbound-comments.service';
import { MetaCommentChannel } from './services/meta-comment-channel';
import { MetaInboundChannel } from './services/meta-inbound-channel';

/** Facebook Messenger and Instagram DM: connection, webhook, mapping to inbound items, sends, comments, profiles. */
@Module({
  imports: [
    HttpModule.register({ maxRedirects: 0 }),
    TypeOrmModule.forFeature([OrganizationMetaSettings, MetaOAuthState, MetaPendingPage]),
    ContactsModule,
    MessagingModule,
    CommentsModule,
  ],
  providers: [GraphApiClient, MetaSettingsService, MetaRateLimiter, MetaSendService, MetaReusableAttachments, MetaChannelSender, MetaInboundChannel,
    MetaTokenService, OAuthStateService, OAuthPendingPagesService, MetaConnectionService, OAuthCallbackService,
    WebhookReceiverService, InboundEventService, ProfileFetchService, InboundEventJob, ProfileFetchJob,
    InboundCommentsService, InboundCommentsJob, MetaCommentChannel],
  controllers: [MetaConnectionController, MetaOAuthCallbackController, MetaWebhookController],
  exports: [MetaConnectionService],
})
export class MetaModule {}
