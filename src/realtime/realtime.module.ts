import { Global, Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RealtimeGateway } from './realtime.gateway';
import { RealtimePublisher } from './realtime.publisher';

@Global()
@Module({ imports: [OrganizationsModule], providers: [RealtimeGateway, RealtimePublisher], exports: [RealtimePublisher] })
export class RealtimeModule {}
