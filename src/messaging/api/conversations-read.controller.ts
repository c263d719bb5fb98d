import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import { OrganizationAuth } from '../../auth/auth.decorators';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { InboxQueryService } from '../services/inbox-query.service';
import { ConversationPageView } from './conversation-page.view';
import { ListConversationsQueryDto } from './list-conversations.dto';
import { MessagePageView } from './message-page.view';
import { PageQueryDto } from './page-query.dto';

@ApiTags('conversations')
@OrganizationAuth()
@Controller('api/conversations')
export class ConversationsReadController {
  constructor(private readonly inbox: InboxQueryService) {}

  @Get()
  @ApiOkResponse({ type: ConversationPageView, description: 'Newest activity first' })
  @ApiErrors([400, 'A bad channel, cursor or limit'])
  list(@CurrentOrganization() organizationId: string, @Query() query: ListConversationsQueryDto): Promise<ConversationPageView> {
    return this.inbox.listConversations(organizationId, query);
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessagePageView, description: 'In platform time order (sentAt, oldest first)' })
  @ApiErrors([400, 'A bad cursor or limit'], [404, 'No such conversation in this organization (also for a malformed id)'])
  messages(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Query() query: PageQueryDto): Promise<MessagePageView> {
    return this.inbox.listMessages(organizationId, id, query);
  }
}
