import { Global, Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { DomainEvents } from './domain-events.service';
import { EventRelayService } from './event-relay.service';
import { EventsController } from './events.controller';
import { EventsQueryService } from './events-query.service';

/** The outbox (`DomainEvents`), its relay to sockets and fan-outs, and `GET /api/events`. */
@Global()
@Module({
  imports: [RealtimeModule],
  controllers: [EventsController],
  providers: [DomainEvents, EventRelayService, EventsQueryService],
  exports: [DomainEvents, EventRelayService],
})
export class EventsModule {}
