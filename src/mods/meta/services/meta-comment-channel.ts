import { Injectable, OnModuleInit } from '@nestjs/common';
import { assertUnreachable } from '../../../common/assert-unreachable';
import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import { CommentChannel } from '../../../comments/channels/comment-channel';
import { CommentChannelRegistry } from '../../../comments/channels/comment-channel.registry';
import { MessageChannel } from '../../../messaging/message-channel';
import { GraphApiClient } from './graph-api.client';
import { GraphErrorKind, MetaApiError } from './graph-error';
import { MetaChannelSender } from './meta-channel.sender';
import { MetaRateLimiter, SendLane } from './meta-rate-limiter';
import { MetaSettingsService } from './meta-settings.service';

/**
 * Comments on the Page's posts (Facebook) and the account's media (Instagram): public replies
 * (`POST /{comment-id}/comments` / `POST /{comment-id}/replies`) and hiding (`is_hidden` /
 * `hide`), with the Page token, paced like sends, Graph errors answered as for reactions.
 */
@Injectable()
export class MetaCommentChannel implements CommentChannel, OnModuleInit {
  constructor(
    private readonly registry: CommentChannelRegistry,
    private readonly settings: MetaSettingsService,
    private readonly coreConf: CoreConfService,
    private readonly graph: GraphApiClient,
    private readonly limiter: MetaRateLimiter,
    private readonly sender: MetaChannelSender,
  ) {}

  onModuleInit(): void {
    this.registry.register(MessageChannel.FacebookMessenger, this);
    this.registry.register(MessageChannel.InstagramDm, this);
  }

  async checkReady(organizationId: string, channel: MessageChannel): Promise<void> {
    await this.settings.requireActive(organizationId, { instagram: channel === MessageChannel.InstagramDm });
  }

  async reply(organizationId: string, channel: MessageChannel, commentExternalId: string, text: string): Promise<string> {
    const edge = this.replyEdge(channel);
    const answer = await this.call<{ id?: string }>(organizationId, channel, `${commentExternalId}/${edge}`, { message: text });
    if (!answer?.id) throw new DomainError(DomainErrorCode.UpstreamFailed, 'Meta accepted the reply but did not say its id. Reload the comment to see it.');
    return answer.id;
  }

  async setHidden(organizationId: string, channel: MessageChannel, commentExternalId: string, hidden: boolean): Promise<void> {
    await this.call(organizationId, channel, commentExternalId, this.hiddenBody(channel, hidden));
  }

  private replyEdge(channel: MessageChannel): string {
    switch (channel) {
      case MessageChannel.FacebookMessenger:
        return 'comments';
      case MessageChannel.InstagramDm:
        return 'replies';
      default:
        return assertUnreachable(channel);
    }
  }

  private hiddenBody(channel: MessageChannel, hidden: boolean): Record<string, boolean> {
    switch (channel) {
      case MessageChannel.FacebookMessenger:
        return { is_hidden: hidden };
      case MessageChannel.InstagramDm:
        return { hide: hidden };
      default:
        return assertUnreachable(channel);
    }
  }

  private async call<T>(organizationId: string, channel: MessageChannel, path: string, body: Record<string, unknown>): Promise<T> {
    const connection = await this.settings.requireActive(organizationId, { instagram: channel === MessageChannel.InstagramDm });
    const app = await this.coreConf.metaApp();
    return this.sender.immediate(organizationId, async () => {
      await this.limiter.acquire(connection.pageId, SendLane.Standard);
      try {
        return await this.graph.request<T>({ method: 'POST', path, accessToken: connection.pageAccessToken, appSecret: app?.appSecret, body });
      } catch (error) {
        if (error instanceof MetaApiError && error.kind === GraphErrorKind.RateLimited) await this.limiter.slowDown(connection.pageId);
        throw error;
      }
    });
  }
}
