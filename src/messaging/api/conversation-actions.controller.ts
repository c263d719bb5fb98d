import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import type { FastifyReply } from 'fastify';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { InboxAuth } from '../../auth/auth.decorators';
import { SendConversationActionsService } from '../services/send-conversation-actions.service';
import { ConversationView } from '../views/conversation.view';
import { OpenConversationDto } from './conversation-actions.dto';

@ApiTags('conversations')
@InboxAuth()
@Controller('api/conversations')
export class ConversationActionsController {
  constructor(private readonly actions: SendConversationActionsService) {}

  @Post()
  @ApiCreatedResponse({ type: ConversationView, description: 'A new conversation (and contact) for that PSID / IGSID' })
  @ApiOkResponse({ type: ConversationView, description: 'The existing conversation' })
  @ApiErrors(
    [400, 'A body that fails validation'],
    [409, 'Not connected, connection expired, or no Instagram account linked'],
    [502, 'Meta did not answer the profile lookup usefully'],
  )
  async open(
    @CurrentOrganization() organizationId: string,
    @Body() body: OpenConversationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConversationView> {
    const { created, conversation } = await this.actions.open(organizationId, body);
    void reply.status(created ? 201 : 200);
    return conversation;
  }

  @Post(':id/typing')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'typing_on sent to the person' })
  @ApiErrors([404, 'No such conversation in this organization'], [409, 'Not connected or connection expired'], [502, 'Meta refused or failed the call'])
  typing(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<void> {
    return this.actions.typing(organizationId, id);
  }

  @Post(':id/seen')
  @HttpCode(200)
  @ApiOkResponse({ type: ConversationView, description: 'mark_seen sent; unreadCount is 0' })
  @ApiErrors([404, 'No such conversation in this organization'], [409, 'Not connected or connection expired'], [502, 'Meta refused or failed the call'])
  seen(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<ConversationView> {
    return this.actions.seen(organizationId, id);
  }
}
