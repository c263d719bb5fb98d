import { Global, Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { AdminTokenService } from './admin-token.service';
import { AdminGuard } from './admin.guard';
import { ApiKeyGuard } from './api-key.guard';
import { InboxAuthGuard } from './inbox-auth.guard';
import { ScopedTokenRefusalGuard } from './scoped-token-refusal.guard';
import { ScopedTokenService } from './scoped-token.service';
import { TokensController } from './tokens.controller';

@Global()
@Module({
  imports: [OrganizationsModule],
  controllers: [TokensController],
  providers: [AdminTokenService, AdminGuard, ApiKeyGuard, ScopedTokenService, InboxAuthGuard, ScopedTokenRefusalGuard],
  exports: [AdminTokenService, AdminGuard, ApiKeyGuard, ScopedTokenService, InboxAuthGuard, ScopedTokenRefusalGuard, OrganizationsModule],
})
export class AuthModule {}
