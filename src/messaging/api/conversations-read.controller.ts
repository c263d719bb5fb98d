import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  list(@CurrentOrganization() organizationId: string, @Query() query: ListConversationsQueryDto): Promise<ConversationPageView> {
    return this.inbox.listConversations(organizationId, query);
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessagePageView, description: 'In platform time order (sentAt, oldest first)' })
  @ApiNotFoundResponse({ description: 'No such conversation in this organization (also for a malformed id)' })
  messages(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Query() query: PageQueryDto): Promise<MessagePageView> {
    return this.inbox.listMessages(organizationId, id, query);
  }
}
