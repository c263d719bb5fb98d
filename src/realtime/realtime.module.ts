import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RealtimeBus } from './realtime-bus.service';
import { RealtimeGateway } from './realtime.gateway';

@Module({ imports: [OrganizationsModule], providers: [RealtimeGateway, RealtimeBus], exports: [RealtimeGateway, RealtimeBus] })
export class RealtimeModule {}
