import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { InboxAuth } from '../../auth/auth.decorators';
import { SendReactionsService } from '../services/send-reactions.service';
import { MessageView } from '../views/message.view';
import { ReactionDto } from './reaction.dto';

@ApiTags('messaging')
@InboxAuth()
@Controller('api/messages/:id/reaction')
export class ReactionsController {
  constructor(private readonly reactions: SendReactionsService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: MessageView, description: "The message with the Page's reaction" })
  @ApiErrors(
    [400, 'No reaction given'],
    [404, 'No such message in this organization'],
    [409, 'Not connected or connection expired'],
    [422, 'Not an inbound message, or a reaction the channel does not accept'],
    [502, 'Meta refused or failed the call'],
  )
  react(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Body() body: ReactionDto): Promise<MessageView> {
    return this.reactions.react(organizationId, id, body.reaction);
  }

  @Delete()
  @ApiOkResponse({ type: MessageView, description: "The message without the Page's reaction" })
  @ApiErrors(
    [404, 'No such message in this organization'],
    [409, 'Not connected or connection expired'],
    [422, 'Not an inbound message'],
    [502, 'Meta refused or failed the call'],
  )
  unreact(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<MessageView> {
    return this.reactions.unreact(organizationId, id);
  }
}
