import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import { InboxAuth } from '../../auth/auth.decorators';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { CommentActionsService } from '../services/comment-actions.service';
import { CommentsQueryService } from '../services/comments-query.service';
import { CommentPageView, CommentView, PrivateReplyAnswerView, PublicReplyView } from './comment.view';
import { CommentReplyDto, ListCommentsQueryDto } from './comments.dto';

@ApiTags('comments')
@InboxAuth()
@Controller('api/comments')
export class CommentsController {
  constructor(
    private readonly query: CommentsQueryService,
    private readonly actions: CommentActionsService,
  ) {}

  @Get()
  @ApiOkResponse({ type: CommentPageView, description: "Newest first (Meta's time)" })
  @ApiErrors([400, 'A bad channel, cursor or limit'])
  list(@CurrentOrganization() organizationId: string, @Query() query: ListCommentsQueryDto): Promise<CommentPageView> {
    return this.query.list(organizationId, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: CommentView })
  @ApiErrors([404, 'No such comment in this organization (also for a malformed id)'])
  get(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<CommentView> {
    return this.query.get(organizationId, id);
  }

  @Post(':id/private-reply')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: PrivateReplyAnswerView, description: 'Queued; the message joins the commenter’s conversation once Meta answers' })
  @ApiErrors(
    [400, 'No text, or a text too long'],
    [404, 'No such comment in this organization (also for a malformed id)'],
    [409, 'The comment already has a private reply, or the connection is missing or expired'],
    [422, 'The comment is more than 7 days old, removed, or the Page’s own'],
  )
  privateReply(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Body() body: CommentReplyDto): Promise<PrivateReplyAnswerView> {
    return this.actions.privateReply(organizationId, id, body.text);
  }

  @Post(':id/replies')
  @ApiCreatedResponse({ type: PublicReplyView, description: 'The public reply, as Meta posted it' })
  @ApiErrors([400, 'No text, or a text too long'], [404, 'No such comment in this organization (also for a malformed id)'], [409, 'The connection is missing or expired'], [422, 'The comment was removed'], [502, 'Meta refused or failed the call'])
  reply(@CurrentOrganization() organizationId: string, @Param('id') id: string, @Body() body: CommentReplyDto): Promise<PublicReplyView> {
    return this.actions.reply(organizationId, id, body.text);
  }

  @Post(':id/hide')
  @HttpCode(200)
  @ApiOkResponse({ type: CommentView })
  @ApiErrors([404, 'No such comment in this organization (also for a malformed id)'], [409, 'The connection is missing or expired'], [502, 'Meta refused or failed the call'])
  hide(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<CommentView> {
    return this.actions.setHidden(organizationId, id, true);
  }

  @Post(':id/unhide')
  @HttpCode(200)
  @ApiOkResponse({ type: CommentView })
  @ApiErrors([404, 'No such comment in this organization (also for a malformed id)'], [409, 'The connection is missing or expired'], [502, 'Meta refused or failed the call'])
  unhide(@CurrentOrganization() organizationId: string, @Param('id') id: string): Promise<CommentView> {
    return this.actions.setHidden(organizationId, id, false);
  }
}
