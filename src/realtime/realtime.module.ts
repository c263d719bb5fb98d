import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RealtimeGateway } from './realtime.gateway';

@Module({ imports: [OrganizationsModule], providers: [RealtimeGateway], exports: [RealtimeGateway] })
export class RealtimeModule {}
