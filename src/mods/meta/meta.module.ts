import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsModule } from '../../contacts/contacts.module';
import { MessagingModule } from '../../messaging/messaging.module';
import { ContactFacebook } from './entities/contact-facebook.entity';
import { ContactInstagram } from './entities/contact-instagram.entity';
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
import { MetaContactIdentitiesService } from './services/meta-contact-identities.service';
import { MetaContactsService } from './services/meta-contacts.service';
import { MetaSettingsService } from './services/meta-settings.service';
import { MetaChannelSender } from './services/meta-channel.sender';
import { MetaRateLimiter } from './services/meta-rate-limiter';
import { MetaSendService } from './services/meta-send.service';
import { MetaReusableAttachments } from './services/meta-reusable-attachments.service';
import { MetaWebhookController } from './api/meta-webhook.controller';
import { InboundEventJob } from './jobs/inbound-event.job';
import { MediaCopyJob } from './jobs/media-copy.job';
import { ProfileFetchJob } from './jobs/profile-fetch.job';
import { InboundRecorderService } from './services/inbound-recorder.service';
import { InboundChangesService } from './services/inbound-changes.service';
import { InboundEventService } from './services/inbound-event.service';
import { InboundMediaService } from './services/inbound-media.service';
import { InboundMessageService } from './services/inbound-message.service';
import { InboundReceiptsService } from './services/inbound-receipts.service';
import { ProfileFetchService } from './services/profile-fetch.service';
import { WebhookReceiverService } from './services/webhook-receiver.service';
import { CommentsModule } from '../../comments/comments.module';
import { InboundCommentsJob } from './jobs/inbound-comments.job';
import { InboundCommentsService } from './services/inbound-comments.service';
import { MetaCommentChannel } from './services/meta-comment-channel';

/** Facebook Messenger and Instagram DM: connection, webhook, inbound pipeline, sends, comments. */
@Module({
  imports: [
    HttpModule.register({ maxRedirects: 0 }),
    TypeOrmModule.forFeature([OrganizationMetaSettings, ContactFacebook, ContactInstagram, MetaOAuthState, MetaPendingPage]),
    ContactsModule,
    MessagingModule,
    CommentsModule,
  ],
  providers: [GraphApiClient, MetaSettingsService, MetaContactsService, MetaContactIdentitiesService, MetaRateLimiter, MetaSendService, MetaReusableAttachments, MetaChannelSender,
    MetaTokenService, OAuthStateService, OAuthPendingPagesService, MetaConnectionService, OAuthCallbackService,
    WebhookReceiverService, InboundEventService, InboundMessageService, InboundReceiptsService, InboundChangesService,
    InboundRecorderService, InboundMediaService, ProfileFetchService, InboundEventJob, ProfileFetchJob, MediaCopyJob,
    InboundCommentsService, InboundCommentsJob, MetaCommentChannel],
  controllers: [MetaConnectionController, MetaOAuthCallbackController, MetaWebhookController],
  exports: [MetaConnectionService],
})
export class MetaModule {}
