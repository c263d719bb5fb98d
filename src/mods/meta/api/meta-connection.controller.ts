import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OrganizationAuth } from '../../../auth/auth.decorators';
import { CurrentOrganization } from '../../../auth/current-organization.decorator';
import { MetaConnectionService } from '../services/meta-connection.service';
import { ChoosePageDto, ConnectionStatusDto, OAuthUrlDto, PendingPageDto } from './meta-connection.dto';

@ApiTags('meta connection')
@OrganizationAuth()
@Controller('api/meta/connection')
export class MetaConnectionController {
  constructor(private readonly connection: MetaConnectionService) {}

  @Get('oauth-url')
  @ApiOkResponse({ type: OAuthUrlDto })
  @ApiConflictResponse({ description: 'The Meta app is not configured (Admin > System Config)' })
  oauthUrl(@CurrentOrganization() organizationId: string): Promise<OAuthUrlDto> {
    return this.connection.oauthUrl(organizationId);
  }

  @Get('pages')
  @ApiOkResponse({ type: PendingPageDto, isArray: true, description: 'Pages held for a choice after a login that granted several (15 minutes)' })
  pages(@CurrentOrganization() organizationId: string): Promise<PendingPageDto[]> {
    return this.connection.pendingPages(organizationId);
  }

  @Post('page')
  @HttpCode(200)
  @ApiOkResponse({ type: ConnectionStatusDto })
  @ApiNotFoundResponse({ description: 'The Page is not held for a choice (or the hold expired)' })
  @ApiConflictResponse({ description: 'The Page is connected to another organization' })
  choose(@CurrentOrganization() organizationId: string, @Body() body: ChoosePageDto): Promise<ConnectionStatusDto> {
    return this.connection.choosePage(organizationId, body.pageId);
  }

  @Get('status')
  @ApiOkResponse({ type: ConnectionStatusDto })
  status(@CurrentOrganization() organizationId: string): Promise<ConnectionStatusDto> {
    return this.connection.status(organizationId);
  }

  @Delete()
  @HttpCode(200)
  @ApiOkResponse({ type: ConnectionStatusDto, description: 'The status after disconnecting; contacts and history stay' })
  disconnect(@CurrentOrganization() organizationId: string): Promise<ConnectionStatusDto> {
    return this.connection.disconnect(organizationId);
  }
}
