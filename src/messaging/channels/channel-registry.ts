import { Injectable } from '@nestjs/common';
import { MessageChannel } from '../message-channel';
import { ChannelSender } from './channel-sender';

/** Channel senders by `MessageChannel`, registered by each channel module on start-up. */
@Injectable()
export class ChannelRegistry {
  private readonly senders = new Map<MessageChannel, ChannelSender>();

  register(channel: MessageChannel, sender: ChannelSender): void {
    if (this.senders.has(channel)) throw new Error(`A sender for ${channel} is registered twice`);
    this.senders.set(channel, sender);
  }

  get(channel: MessageChannel): ChannelSender {
    const sender = this.senders.get(channel);
    // A missing sender is a wiring bug (the channel module is not loaded), not a user error.
    if (!sender) throw new Error(`No sender registered for channel ${channel}`);
    return sender;
  }
}
