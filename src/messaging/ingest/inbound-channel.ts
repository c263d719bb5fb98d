import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ChannelMap } from '../channels/channel-map';
import type { InboundScope } from './inbound-item';

/** What the ingest asks of the channel module whose items it applies. */
export interface InboundChannel {
  /**
   * People seen for the first time on their scope's account (those of one batch, together): the
   * channel may queue work for them (a profile fetch), in `manager`'s transaction so it exists
   * only if the contacts do.
   */
  contactsCreated(created: CreatedContact[], manager: EntityManager): Promise<void>;
}

/** A contact the ingest just made for a person the channel names by `externalId`. */
export interface CreatedContact {
  scope: InboundScope;
  contactId: string;
  externalId: string;
}

/** Inbound channels by `MessageChannel`, registered by each channel module on start-up. */
@Injectable()
export class InboundChannelRegistry extends ChannelMap<InboundChannel> {
  constructor() {
    super('inbound channel');
  }
}
