import type { MessageChannel } from '../../messaging/message-channel';

/**
 * One channel's comment moderation: public replies and hiding. Implementations are registered
 * in `CommentChannelRegistry` by their module, refuse with `DomainError` (contract strings) and
 * turn platform errors into the same answers a send gets.
 */
export interface CommentChannel {
  /** The organization's account can act on comments now (connected, not expired). */
  checkReady(organizationId: string, channel: MessageChannel): Promise<void>;
  /** Posts a public reply; answers the platform's id of the reply. */
  reply(organizationId: string, channel: MessageChannel, commentExternalId: string, text: string): Promise<string>;
  setHidden(organizationId: string, channel: MessageChannel, commentExternalId: string, hidden: boolean): Promise<void>;
}
