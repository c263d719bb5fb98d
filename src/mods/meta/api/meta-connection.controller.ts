import { Body, Controller, Delete, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../../common/api-errors';
import { OrganizationAuth } from '../../../auth/auth.decorators';
import { CurrentOrganization } from '../../../auth/current-organization.decorator';
import { AppConfig } from '../../../config/app-config';
import { MetaConnectionService } from '../services/meta-connection.service';
import { OAUTH_STATE_TTL_MS } from '../services/oauth-state.service';
import { ChoosePageDto, ConnectionStatusDto, OAuthUrlDto, OAuthUrlQueryDto, PendingPageDto } from './meta-connection.dto';
import { oauthBrowserCookie } from './oauth-browser-cookie';

@ApiTags('meta connection')
@OrganizationAuth()
@Controller('api/meta/connection')
export class MetaConnectionController {
  constructor(
    private readonly connection: MetaConnectionService,
    private readonly config: AppConfig,
  ) {}

  @Get('oauth-url')
  @ApiOkResponse({ type: OAuthUrlDto })
  @ApiErrors([400, 'A bad start flag'], [409, 'The Meta app is not configured (Admin > System Config)'])
  async oauthUrl(
    @CurrentOrganization() organizationId: string,
    @Query() query: OAuthUrlQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OAuthUrlDto> {
    const { url, browserNonce } = await this.connection.oauthUrl(organizationId, query.start === true);
    if (browserNonce) void reply.header('set-cookie', oauthBrowserCookie(browserNonce, this.config.publicUrl, OAUTH_STATE_TTL_MS / 1000));
    return { url };
  }

  @Get('pages')
  @ApiOkResponse({ type: PendingPageDto, isArray: true, description: 'Pages held for a choice after a login that granted several (15 minutes)' })
  pages(@CurrentOrganization() organizationId: string): Promise<PendingPageDto[]> {
    return this.connection.pendingPages(organizationId);
  }

  @Post('page')
  @HttpCode(200)
  @ApiOkResponse({ type: ConnectionStatusDto })
  @ApiErrors(
    [400, 'No pageId'],
    [404, 'The Page is not held for a choice (or the hold expired)'],
    [409, 'The Page is connected to another organization, or the Meta app is not configured'],
    [502, 'Meta refused to subscribe the app to the Page'],
  )
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
