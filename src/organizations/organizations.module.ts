import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminApiKeysController } from './admin-api-keys.controller';
import { AdminOrganizationsController } from './admin-organizations.controller';
import { ApiKey } from './api-key.entity';
import { ApiKeyService } from './api-key.service';
import { Organization } from './organization.entity';
import { OrganizationsService } from './organizations.service';

@Module({
  imports: [TypeOrmModule.forFeature([Organization, ApiKey])],
  controllers: [AdminOrganizationsController, AdminApiKeysController],
  providers: [OrganizationsService, ApiKeyService],
  exports: [ApiKeyService, OrganizationsService],
})
export class OrganizationsModule {}
