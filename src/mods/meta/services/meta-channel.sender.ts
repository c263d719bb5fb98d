import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, DomainErrorCode, ErrorMessages } from '../../../common/domain-error';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import { ChannelRegistry } from '../../../messaging/channels/channel-registry';
import {
  ChannelAddress,
  ChannelReaction,
  ChannelSender,
  ChannelSendError,
  ChannelTarget,
  KnownIdentity,
  OutboundContent,
  OutboundOptions,
  ResolvedParticipant,
  RichText,
  SenderAction,
  SentPrivateReply,
} from '../../../messaging/channels/channel-sender';
import { ContactIdentitiesService } from '../../../messaging/ingest/contact-identities.service';
import { MessageChannel } from '../../../messaging/message-channel';
import { StorageService } from '../../../storage/storage.service';
import { assertUnreachable } from '../../../common/assert-unreachable';
import { metaAttachmentType } from '../mappers/mime-type';
import { assertMetaCanCarry, MetaAttachmentPayload, metaFileMessage, metaTextMessage } from '../mappers/outbound-message';
import { metaReaction } from '../mappers/reaction';
import { GraphErrorKind, MetaApiError } from './graph-error';
import { MetaInboundChannel } from './meta-inbound-channel';
import { MetaReusableAttachments, MetaPlatform, ReusableKey } from './meta-reusable-attachments.service';
import { MetaSendService, SendCredentials, SendOptions } from './meta-send.service';
import { ActiveConnection, MetaSettingsService } from './meta-settings.service';

/** Where one contact is reached: the Send API path, the recipient id, and the credentials. */
interface Route {
  connection: ActiveConnection;
  credentials: SendCredentials;
  path: string;
  recipientId: string;
}

/**
 * Facebook Messenger and Instagram DM as channels of the inbox: resolves the organization's
 * connection and the contact's PSID / IGSID, calls the Send API, and turns Graph failures into
 * what messaging acts on. A 190 marks the connection expired (announced once) on the spot.
 */
@Injectable()
export class MetaChannelSender implements ChannelSender, OnModuleInit {
  constructor(
    private readonly registry: ChannelRegistry,
    private readonly settings: MetaSettingsService,
    private readonly identities: ContactIdentitiesService,
    private readonly inbound: MetaInboundChannel,
    private readonly sendApi: MetaSendService,
    private readonly coreConf: CoreConfService,
    private readonly storage: StorageService,
    private readonly reusable: MetaReusableAttachments,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.registry.register(MessageChannel.FacebookMessenger, this);
    this.registry.register(MessageChannel.InstagramDm, this);
  }

  async checkReady(target: ChannelTarget, identities?: KnownIdentity[]): Promise<ChannelAddress> {
    const route = await this.route(target, identities);
    return { account: accountOf(route.connection, target.channel), recipientId: route.recipientId };
  }

  checkContent(channel: MessageChannel, content: RichText): void {
    assertMetaCanCarry(channel, content);
  }

  async send(target: ChannelTarget, content: OutboundContent, options: OutboundOptions): Promise<string> {
    const route = (options.address && (await this.knownRoute(target, options.address))) || (await this.route(target));
    const sendOptions = { messagingType: options.messagingType, tag: options.tag, queued: true, turn: options.turn ?? null };
    return this.translated(target.organizationId, route.connection.pageId, async () => {
      switch (content.kind) {
        case 'text': {
          const message = metaTextMessage(content.text, content.quickReplies, content.buttons);
          return (await this.sendApi.send(route.credentials, route.path, route.recipientId, message, sendOptions)).messageId;
        }
        case 'attachment':
          return this.sendFile(target.channel, route, content, sendOptions);
        default:
          return assertUnreachable(content);
      }
    });
  }

  /**
   * A stored file goes by its reusable id once Meta saved it for this Page; the first send (or the
   * one after Meta refused an expired or unknown id) goes by our signed URL with `is_reusable`, and
   * keeps the id Meta answers. So Meta fetches each file once per Page, not once per send.
   */
  private async sendFile(
    channel: MessageChannel,
    route: Route,
    content: Extract<OutboundContent, { kind: 'attachment' }>,
    options: SendOptions,
  ): Promise<string> {
    const type = metaAttachmentType(content.mimeType);
    const key: ReusableKey = { pageId: route.connection.pageId, platform: platformOf(channel), storageKey: content.storageKey };
    const send = (payload: MetaAttachmentPayload, turn: string | null | undefined) =>
      this.sendApi.send(route.credentials, route.path, route.recipientId, metaFileMessage(type, payload), { ...options, turn });
    const known = await this.reusable.find(key);
    if (known) {
      try {
        // The turn was for this call: the URL send after a refused id takes a slot of its own.
        return (await send({ attachment_id: known }, options.turn)).messageId;
      } catch (error) {
        if (!(error instanceof MetaApiError) || error.kind !== GraphErrorKind.InvalidParameter) throw error;
        await this.reusable.forget(key, known);
      }
    }
    const answer = await send({ url: this.storage.signedUrl(content.storageKey), is_reusable: true }, known ? null : options.turn);
    if (answer.attachmentId) await this.reusable.remember(key, answer.attachmentId);
    return answer.messageId;
  }

  async checkAccountReady(organizationId: string, channel: MessageChannel): Promise<void> {
    await this.settings.requireActive(organizationId, { instagram: channel === MessageChannel.InstagramDm });
  }

  async sendPrivateReply(organizationId: string, channel: MessageChannel, commentExternalId: string, text: string): Promise<SentPrivateReply> {
    const instagram = channel === MessageChannel.InstagramDm;
    const connection = await this.settings.requireActive(organizationId, { instagram });
    const app = await this.coreConf.metaApp();
    const credentials = { pageId: connection.pageId, pageAccessToken: connection.pageAccessToken, appSecret: app?.appSecret };
    const path = instagram ? `${connection.instagramAccountId}/messages` : `${connection.pageId}/messages`;
    const sent = await this.translated(organizationId, connection.pageId, () => this.sendApi.sendPrivateReply(credentials, path, commentExternalId, text));
    return { externalId: sent.messageId, recipientId: sent.recipientId };
  }

  reactionFor(channel: MessageChannel, input: string): ChannelReaction {
    return metaReaction(channel, input);
  }

  async react(target: ChannelTarget, externalMessageId: string, reaction: ChannelReaction | null): Promise<void> {
    const { credentials, path, recipientId } = await this.route(target);
    await this.immediate(target.organizationId, () =>
      this.sendApi.react(credentials, path, recipientId, externalMessageId, reaction?.wireValue ?? null),
    );
  }

  async senderAction(target: ChannelTarget, action: SenderAction): Promise<void> {
    const { credentials, path, recipientId } = await this.route(target);
    await this.immediate(target.organizationId, () => this.sendApi.senderAction(credentials, path, recipientId, action));
  }

  async resolveParticipant(organizationId: string, channel: MessageChannel, externalId: string, manager?: EntityManager): Promise<ResolvedParticipant> {
    const connection = await this.settings.requireActive(organizationId, { instagram: channel === MessageChannel.InstagramDm });
    const scope = { organizationId, channel, accountId: accountOf(connection, channel) };
    const run = async (tx: EntityManager): Promise<ResolvedParticipant> => {
      const resolved = await this.identities.resolve(scope, externalId, tx);
      // A person we only now learn of (a commenter answered privately, say) gets a profile like any new sender.
      if (resolved.created) await this.inbound.contactsCreated([{ scope, contactId: resolved.contactId, externalId }], tx);
      return resolved;
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  /** The contract's refusals in order: connection (not connected, expired, no IG account), then the contact's id. */
  private async route(target: ChannelTarget, identities?: KnownIdentity[]): Promise<Route> {
    const instagram = target.channel === MessageChannel.InstagramDm;
    const connection = await this.settings.requireActive(target.organizationId, { instagram });
    const account = accountOf(connection, target.channel);
    const recipientId = identities
      ? (identities.find((identity) => identity.account === account)?.externalId ?? null)
      : await this.identities.externalIdOf(target.organizationId, target.channel, account, target.contactId);
    if (!recipientId) {
      throw instagram
        ? new DomainError(DomainErrorCode.ContactHasNoIgsid, ErrorMessages.noIgsid)
        : new DomainError(DomainErrorCode.ContactHasNoPsid, ErrorMessages.noPsid);
    }
    return this.routeTo(connection, instagram, recipientId);
  }

  /**
   * The route through the address found when the send was accepted, while the organization is
   * still connected to that same account (the connection's refusals apply as in `route`); null
   * once the account changed, so the contact is looked up again there.
   */
  private async knownRoute(target: ChannelTarget, address: ChannelAddress): Promise<Route | null> {
    const instagram = target.channel === MessageChannel.InstagramDm;
    const connection = await this.settings.requireActive(target.organizationId, { instagram });
    if (accountOf(connection, target.channel) !== address.account) return null;
    return this.routeTo(connection, instagram, address.recipientId);
  }

  private async routeTo(connection: ActiveConnection, instagram: boolean, recipientId: string): Promise<Route> {
    const app = await this.coreConf.metaApp();
    return {
      connection,
      credentials: { pageId: connection.pageId, pageAccessToken: connection.pageAccessToken, appSecret: app?.appSecret },
      path: instagram ? `${connection.instagramAccountId}/messages` : 'me/messages',
      recipientId,
    };
  }

  /** For queued sends: Graph failures become `ChannelSendError` (retry or fail, and why). */
  private async translated<T>(organizationId: string, pageId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof MetaApiError)) throw error;
      const expired = error.kind === GraphErrorKind.TokenExpired;
      if (expired) await this.settings.markExpired(organizationId);
      throw new ChannelSendError(error.transient, expired, error.details(), error.userMessage(), pageId);
    }
  }

  /** For calls answered at once (reactions, sender actions, comment moderation): Graph failures become HTTP answers. */
  async immediate<T = void>(organizationId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof MetaApiError)) throw error;
      switch (error.kind) {
        case GraphErrorKind.TokenExpired:
          await this.settings.markExpired(organizationId);
          throw new DomainError(DomainErrorCode.MetaConnectionExpired, ErrorMessages.connectionExpired);
        case GraphErrorKind.OutsideWindow:
          throw new DomainError(DomainErrorCode.OutsideMessagingWindow, error.userMessage());
        default:
          throw new DomainError(DomainErrorCode.UpstreamFailed, error.userMessage());
      }
    }
  }
}

/**
 * The account a channel's messages go through, and a contact's identity on it belongs to: the Page,
 * or the Instagram account linked to it.
 */
function accountOf(connection: ActiveConnection, channel: MessageChannel): string {
  switch (channel) {
    case MessageChannel.FacebookMessenger:
      return connection.pageId;
    case MessageChannel.InstagramDm:
      return connection.instagramAccountId ?? '';
    default:
      return assertUnreachable(channel);
  }
}

function platformOf(channel: MessageChannel): MetaPlatform {
  switch (channel) {
    case MessageChannel.FacebookMessenger:
      return 'messenger';
    case MessageChannel.InstagramDm:
      return 'instagram';
    default:
      return assertUnreachable(channel);
  }
}
