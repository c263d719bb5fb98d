import { Injectable } from '@nestjs/common';
import { ChannelMap } from './channel-map';
import { ChannelSender } from './channel-sender';

/** Channel senders by `MessageChannel`, registered by each channel module on start-up. */
@Injectable()
export class ChannelRegistry extends ChannelMap<ChannelSender> {
  constructor() {
    super('sender');
  }
}
