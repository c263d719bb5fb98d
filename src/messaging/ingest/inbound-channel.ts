import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { MessageChannel } from '../message-channel';
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
export class InboundChannelRegistry {
  private readonly channels = new Map<MessageChannel, InboundChannel>();

  register(channel: MessageChannel, inbound: InboundChannel): void {
    if (this.channels.has(channel)) throw new Error(`An inbound channel for ${channel} is registered twice`);
    this.channels.set(channel, inbound);
  }

  get(channel: MessageChannel): InboundChannel {
    const inbound = this.channels.get(channel);
    // A wiring bug (the channel module is not loaded), not something an item can cause.
    if (!inbound) throw new Error(`No inbound channel registered for ${channel}`);
    return inbound;
  }
}
