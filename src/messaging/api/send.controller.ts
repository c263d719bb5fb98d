import { Body, Controller, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import type { FastifyReply } from 'fastify';
import { CurrentAgent } from '../../auth/current-agent.decorator';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import type { TokenAgent } from '../../auth/scoped-token.service';
import { InboxAuth } from '../../auth/auth.decorators';
import { SendMessagesService } from '../services/send-messages.service';
import { SendAnswerView, SendMessageDto, SendQueryDto } from './send-message.dto';

@ApiTags('messaging')
@InboxAuth()
@Controller('api/messaging')
export class SendController {
  constructor(private readonly sends: SendMessagesService) {}

  @Post('send')
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retried request with the same key gets the first answer; nothing is sent twice' })
  @ApiAcceptedResponse({ type: SendAnswerView, description: 'Queued: one pending record per Graph API call' })
  @ApiOkResponse({ type: SendAnswerView, description: 'With ?wait=true: every record settled (published or failed with its error)' })
  @ApiErrors(
    [400, 'A body that fails validation (no contactId/conversationId, nothing to send, a bad messagingType or tag)'],
    [404, 'The contact, conversation or an attachment is not in this organization'],
    [409, 'Not connected, connection expired (also with ?wait=true when the token was found expired), or no Instagram account linked'],
    [422, 'Contact without PSID/IGSID, outside the messaging window, or an Idempotency-Key reused with another body'],
  )
  async send(
    @CurrentOrganization() organizationId: string,
    @Body() body: SendMessageDto,
    @Query() query: SendQueryDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentAgent() agent: TokenAgent | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const answer = await this.sends.send(organizationId, body, { wait: query.wait === 'true' || query.wait === '1', idempotencyKey, agent });
    void reply.status(answer.statusCode);
    return answer.body;
  }
}
