import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InboxAuth } from '../auth/auth.decorators';
import type { InboxRequest } from '../auth/inbox-auth.guard';
import { MetaConnectionService } from '../mods/meta/services/meta-connection.service';
import { InboxSessionView } from './inbox-session.view';

@ApiTags('inbox')
@InboxAuth()
@Controller('api/inbox/session')
export class InboxSessionController {
  constructor(private readonly connection: MetaConnectionService) {}

  @Get()
  @ApiOkResponse({ type: InboxSessionView, description: 'The signed-in organization, agent and token expiry, and the connection status' })
  async get(@Req() request: InboxRequest): Promise<InboxSessionView> {
    const organizationId = request.organizationId!;
    return {
      organizationId,
      agent: request.agent ?? null,
      expiresAt: request.tokenExpiresAt?.toISOString() ?? null,
      connection: await this.connection.status(organizationId),
    };
  }
}
