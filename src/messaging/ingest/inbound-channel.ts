import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ChannelMap } from '../channels/channel-map';
import type { InboundScope } from './inbound-item';

/** What the ingest asks of the channel module whose items it applies. */
export interface InboundChannel {
  /**
   * A person seen for the first time on the scope's account: the channel may queue work for them
   * (a profile fetch), in `manager`'s transaction so it exists only if the contact does.
   */
  contactCreated(scope: InboundScope, contactId: string, externalId: string, manager: EntityManager): Promise<void>;
}

/** Inbound channels by `MessageChannel`, registered by each channel module on start-up. */
@Injectable()
export class InboundChannelRegistry extends ChannelMap<InboundChannel> {
  constructor() {
    super('inbound channel');
  }
}
