import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { AdminAuth } from '../auth/auth.decorators';
import { ApiKeyListDto, IssuedApiKeyDto } from './api-key.dto';
import { ApiKeyService } from './api-key.service';

@ApiTags('admin')
@AdminAuth()
@ApiErrors([404, 'No such organization (or key)'])
@Controller('api/admin/organizations/:organizationId/api-keys')
export class AdminApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: IssuedApiKeyDto })
  issue(@Param('organizationId') organizationId: string): Promise<IssuedApiKeyDto> {
    return this.apiKeys.issueFor(organizationId);
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyListDto })
  list(@Param('organizationId') organizationId: string): Promise<ApiKeyListDto> {
    return this.apiKeys.list(organizationId);
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: refused at once, and its open sockets are disconnected within seconds' })
  revoke(@Param('organizationId') organizationId: string, @Param('keyId') keyId: string): Promise<void> {
    return this.apiKeys.revoke(organizationId, keyId);
  }
}
