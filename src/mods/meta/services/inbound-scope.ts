import type { MessageChannel } from '../../../messaging/message-channel';

/** Where an inbound event belongs: the organization, its channel, and its Page / IG account. */
export interface InboundScope {
  organizationId: string;
  channel: MessageChannel;
  accountId: string;
}
