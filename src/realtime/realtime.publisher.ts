import { Injectable } from '@nestjs/common';
import { RealtimeEventName, RealtimeEvents } from './realtime.events';
import { RealtimeGateway } from './realtime.gateway';

/**
 * How services announce changes to open inboxes. Call it after the transaction that made the
 * change has committed, with the record as REST shows it; it reaches every instance's sockets
 * through the Postgres adapter.
 */
@Injectable()
export class RealtimePublisher {
  constructor(private readonly gateway: RealtimeGateway) {}

  publish<E extends RealtimeEventName>(organizationId: string, event: E, payload: RealtimeEvents[E]): void {
    this.gateway.emit(organizationId, event, payload);
  }
}
