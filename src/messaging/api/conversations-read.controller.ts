import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import { InboxAuth } from '../../auth/auth.decorators';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { ConversationsService } from '../services/conversations.service';
import { InboxQueryService } from '../services/inbox-query.service';
import { ConversationView } from '../views/conversation.view';
import { ConversationPageView } from './conversation-page.view';
import { ListConversationsQueryDto } from './list-conversations.dto';
import { ListMessagesQueryDto } from './list-messages.dto';
import { MessagePageView } from './message-page.view';

@ApiTags('conversations')
@InboxAuth()
@Controller('api/conversations')
export class ConversationsReadController {
  constructor(
    private readonly inbox: InboxQueryService,
    private readonly conversations: ConversationsService,
  ) {}

  @Get()
  @ApiOkResponse({ type: ConversationPageView, description: 'Newest activity first' })
  @ApiErrors([400, 'A bad channel, cursor or limit'])
  list(@CurrentOrganization() organizationId: string, @Query() query: ListConversationsQueryDto): Promise<ConversationPageView> {
    return this.inbox.listConversations(organizationId, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ConversationView })
  @ApiErrors([404, 'No such conversation in this organization (also for a malformed id)'])
  get(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<ConversationView> {
    return this.inbox.conversation(organizationId, id);
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessagePageView, description: 'In platform time order (sentAt, oldest first), or newest first with order=desc' })
  @ApiErrors([400, 'A bad cursor, limit or order'], [404, 'No such conversation in this organization (also for a malformed id)'])
  messages(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Query() query: ListMessagesQueryDto): Promise<MessagePageView> {
    return this.inbox.listMessages(organizationId, id, query);
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOkResponse({ type: ConversationView, description: 'unreadCount is 0; nothing is sent to the person (see /seen for that)' })
  @ApiErrors([404, 'No such conversation in this organization (also for a malformed id)'])
  read(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<ConversationView> {
    return this.conversations.markRead(organizationId, id);
  }
}
