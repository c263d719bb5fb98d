import { Body, Controller, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import type { OrganizationRequest } from './api-key.guard';
import { OrganizationAuth } from './auth.decorators';
import { CurrentOrganization } from './current-organization.decorator';
import { ScopedTokenService } from './scoped-token.service';
import { CreateTokenDto, TokenView } from './scoped-token.dto';

@ApiTags('auth')
@OrganizationAuth()
@Controller('api/auth/tokens')
export class TokensController {
  constructor(private readonly tokens: ScopedTokenService) {}

  @Post()
  @ApiCreatedResponse({ type: TokenView, description: 'A short-lived token for the inbox routes of this organization' })
  @ApiErrors([400, 'A ttlSeconds outside 1..86400, or an agent without id and name'])
  create(@CurrentOrganization() organizationId: string, @Req() request: OrganizationRequest, @Body() body: CreateTokenDto): TokenView {
    const { token, expiresAt } = this.tokens.mint(organizationId, request.apiKeyId!, { ttlSeconds: body.ttlSeconds, agent: body.agent });
    return { token, expiresAt: expiresAt.toISOString() };
  }
}
