import { Body, Controller, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiHeader, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { OrganizationAuth } from '../../auth/auth.decorators';
import { SendMessagesService } from '../services/send-messages.service';
import { SendAnswerView, SendMessageDto, SendQueryDto } from './send-message.dto';

@ApiTags('messaging')
@OrganizationAuth()
@Controller('api/messaging')
export class SendController {
  constructor(private readonly sends: SendMessagesService) {}

  @Post('send')
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retried request with the same key gets the first answer; nothing is sent twice' })
  @ApiAcceptedResponse({ type: SendAnswerView, description: 'Queued: one pending record per Graph API call' })
  @ApiOkResponse({ type: SendAnswerView, description: 'With ?wait=true: every record settled (published or failed with its error)' })
  @ApiConflictResponse({ description: 'Not connected, connection expired, or no Instagram account linked' })
  @ApiUnprocessableEntityResponse({ description: 'Contact without PSID/IGSID, or outside the messaging window' })
  async send(
    @CurrentOrganization() organizationId: string,
    @Body() body: SendMessageDto,
    @Query() query: SendQueryDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const answer = await this.sends.send(organizationId, body, { wait: query.wait === 'true' || query.wait === '1', idempotencyKey });
    void reply.status(answer.statusCode);
    return answer.body;
  }
}
