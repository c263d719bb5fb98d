import { CommentReply } from '../comments/entities/comment-reply.entity';
import { Comment } from '../comments/entities/comment.entity';
import { Contact } from '../contacts/contact.entity';
import { ContactIdentity } from '../contacts/contact-identity.entity';
import { CoreConf } from '../core-conf/core-conf.entity';
import { Attachment } from '../messaging/entities/attachment.entity';
import { Conversation } from '../messaging/entities/conversation.entity';
import { Message } from '../messaging/entities/message.entity';
import { OrganizationMetaSettings } from '../mods/meta/entities/organization-meta-settings.entity';
import { MetaOAuthState } from '../mods/meta/entities/meta-oauth-state.entity';
import { MetaPendingPage } from '../mods/meta/entities/meta-pending-page.entity';
import { ApiKey } from '../organizations/api-key.entity';
import { Organization } from '../organizations/organization.entity';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from '../webhooks/webhook-endpoint.entity';

/** Every entity, as class references so ts-node, jest and the build load the same set. */
export const ENTITIES = [
  Organization,
  ApiKey,
  CoreConf,
  Contact,
  ContactIdentity,
  Conversation,
  Message,
  Attachment,
  OrganizationMetaSettings,
  MetaOAuthState,
  MetaPendingPage,
  WebhookEndpoint,
  WebhookDelivery,
  Comment,
  CommentReply,
];
