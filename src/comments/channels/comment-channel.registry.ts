import { Injectable } from '@nestjs/common';
import { ChannelMap } from '../../messaging/channels/channel-map';
import { CommentChannel } from './comment-channel';

/** Comment channels by `MessageChannel`, registered by each channel module on start-up. */
@Injectable()
export class CommentChannelRegistry extends ChannelMap<CommentChannel> {
  constructor() {
    super('comment channel');
  }
}
