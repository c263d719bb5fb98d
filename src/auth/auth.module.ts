import { Global, Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { AdminTokenService } from './admin-token.service';
import { AdminGuard } from './admin.guard';
import { ApiKeyGuard } from './api-key.guard';

@Global()
@Module({
  imports: [OrganizationsModule],
  providers: [AdminTokenService, AdminGuard, ApiKeyGuard],
  exports: [AdminTokenService, AdminGuard, ApiKeyGuard, OrganizationsModule],
})
export class AuthModule {}
