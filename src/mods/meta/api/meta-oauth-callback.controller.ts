import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '../../../config/app-config';
import { OAuthCallbackService } from '../services/oauth-callback.service';
import { outcomeHttpStatus, outcomePage, outcomeRedirect } from '../services/oauth-callback-outcome';
import { OAuthCallbackQueryDto } from './oauth-callback.dto';

/**
 * Where Facebook Login sends the browser back (no API key: the state names the organization).
 * With APP_URL set the browser is redirected there with `?meta=…`; otherwise a small page says
 * what happened.
 */
@ApiTags('meta connection')
@Controller('api/meta/oauth')
export class MetaOAuthCallbackController {
  constructor(
    private readonly callback: OAuthCallbackService,
    private readonly config: AppConfig,
  ) {}

  @Get('callback')
  @ApiBadRequestResponse({ description: 'Missing, forged, reused or expired state: nothing changes' })
  async complete(@Query() query: OAuthCallbackQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const outcome = await this.callback.complete({ code: query.code, state: query.state, error: query.error, errorDescription: query.error_description });
    if (this.config.appUrl) {
      await reply.redirect(outcomeRedirect(this.config.appUrl, outcome), 302);
      return;
    }
    await reply.status(outcomeHttpStatus(outcome)).type('text/html; charset=utf-8').send(outcomePage(outcome));
  }
}
