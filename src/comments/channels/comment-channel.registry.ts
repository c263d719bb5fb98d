import { Injectable } from '@nestjs/common';
import { MessageChannel } from '../../messaging/message-channel';
import { CommentChannel } from './comment-channel';

/** Comment channels by `MessageChannel`, registered by each channel module on start-up. */
@Injectable()
export class CommentChannelRegistry {
  private readonly channels = new Map<MessageChannel, CommentChannel>();

  register(channel: MessageChannel, implementation: CommentChannel): void {
    if (this.channels.has(channel)) throw new Error(`A comment channel for ${channel} is registered twice`);
    this.channels.set(channel, implementation);
  }

  get(channel: MessageChannel): CommentChannel {
    const found = this.channels.get(channel);
    // A missing channel is a wiring bug (the channel module is not loaded), not a user error.
    if (!found) throw new Error(`No comment channel registered for ${channel}`);
    return found;
  }
}
