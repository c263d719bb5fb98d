import { Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../../common/api-errors';
import { WebhookDeliveryDoc } from './webhook-delivery.doc';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noteRequestFacts } from '../../../logging/request-logging';
import { WebhookReceiverService } from '../services/webhook-receiver.service';

/**
 * Meta's one webhook for Messenger and Instagram. The hub parameters have dots in their names,
 * so they are read one by one rather than through a DTO; the POST body is judged only after
 * its signature over the raw bytes checks out.
 */
export const META_WEBHOOK_PATH = '/api/meta/webhook';

@ApiTags('meta webhook')
@Controller(META_WEBHOOK_PATH.slice(1))
export class MetaWebhookController {
  constructor(private readonly receiver: WebhookReceiverService) {}

  @Get()
  @ApiOperation({ summary: "Meta's subscription check: echoes hub.challenge when hub.verify_token matches, else 403" })
  @ApiQuery({ name: 'hub.mode', example: 'subscribe' })
  @ApiQuery({ name: 'hub.verify_token' })
  @ApiQuery({ name: 'hub.challenge' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'hub.challenge, echoed as text/plain', schema: { type: 'string' } })
  @ApiErrors([403, 'Not a subscribe request, or hub.verify_token does not match meta_messaging_verify_token'])
  async verify(
    @Query('hub.mode') mode: string,
    @Query('hub.verify_token') token: string,
    @Query('hub.challenge') challenge: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const answer = await this.receiver.verifySubscription(mode, token, challenge);
    // Set only on success: a refusal is the usual JSON error.
    void reply.type('text/plain; charset=utf-8');
    return answer;
  }

  @Post()
  @ApiOperation({ summary: 'Messenger and Instagram events: 403 unless signed, 400 when malformed, stored durably, then 200' })
  @ApiHeader({ name: 'x-hub-signature-256', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body keyed with the app secret>' })
  @ApiBody({ type: WebhookDeliveryDoc })
  @ApiOkResponse({ description: 'Stored durably (one row of inbound work per conversation or post), or an object we do not handle: an empty body', schema: { type: 'string', maxLength: 0 } })
  @ApiErrors(
    [400, 'Signed, but not an object with "object" and an "entry" array'],
    [403, 'Missing or wrong signature, or no Meta app configured yet (Meta retries): nothing is kept'],
    [413, 'Larger than 8 MB'],
  )
  @HttpCode(200)
  async receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('x-hub-signature-256') signature: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const accepted = await this.receiver.receive(request.rawBody, signature, request.body);
    // On the request's own log line: at thousands of deliveries a second, a second line each is CPU the webhook needs.
    if (accepted) noteRequestFacts(reply, { webhook: accepted });
  }
}
