import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ErrorBody } from '../../../common/api-errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../../../config/app-config';
import { MetaConnectionService } from '../services/meta-connection.service';
import { OAuthCallbackService } from '../services/oauth-callback.service';
import { OAuthOutcome, outcomeHttpStatus, outcomePage, outcomeRedirect } from '../services/oauth-callback-outcome';
import { OAUTH_STATE_TTL_MS } from '../services/oauth-state.service';
import { clearedOAuthBrowserCookie, oauthBrowserCookie, readOAuthBrowserCookie } from './oauth-browser-cookie';
import { OAuthCallbackQueryDto, OAuthStartQueryDto } from './oauth-callback.dto';

/**
 * The browser's side of Facebook Login (no API key: the state names the organization and the
 * cookie names the browser). The start link binds a browser and sends it to the dialog; the
 * callback is where Facebook sends it back. With APP_URL set the browser is redirected there
 * with `?meta=…`; otherwise a small page says what happened.
 */
@ApiTags('meta connection')
@Controller('api/meta/oauth')
export class MetaOAuthCallbackController {
  constructor(
    private readonly callback: OAuthCallbackService,
    private readonly connection: MetaConnectionService,
    private readonly config: AppConfig,
  ) {}

  @Get('start')
  @ApiOperation({ summary: 'The link a browser opens to connect: binds the flow to that browser, then on to the Facebook Login dialog' })
  @ApiResponse({ status: 302, description: 'Sets the cookie that binds the flow to this browser and redirects to the Facebook Login dialog', headers: { Location: { schema: { type: 'string' } } } })
  @ApiResponse({
    status: 400,
    description: 'Unknown, expired or already opened link (a page, or APP_URL?meta=error); a malformed query (JSON)',
    content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } },
  })
  async start(@Query() query: OAuthStartQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const started = await this.connection.startInBrowser(query.state);
    if (!started) {
      const message = 'This connection link is invalid, already opened or expired. Start the connection again from Settings > Integrations.';
      await this.answer(reply, { result: 'error', reason: 'invalid_state', message });
      return;
    }
    await reply
      .header('set-cookie', oauthBrowserCookie(started.browserNonce, this.config.publicUrl, OAUTH_STATE_TTL_MS / 1000))
      .header('cache-control', 'no-store')
      .redirect(started.url, 302);
  }

  @Get('callback')
  @ApiOperation({ summary: 'Where Facebook Login returns the browser: connects the Page, or holds several for a choice' })
  @ApiExtraModels(ErrorBody)
  @ApiResponse({ status: 200, description: 'Without APP_URL: a page saying the Page is connected (or to choose one)', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 302, description: 'With APP_URL: to APP_URL?meta=connected|select_page|error&reason=…', headers: { Location: { schema: { type: 'string' } } } })
  @ApiResponse({
    status: 400,
    description: 'Missing, forged, reused or expired state, or the person refused: nothing changes (a page); a malformed query (JSON)',
    content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } },
  })
  @ApiResponse({ status: 403, description: 'Not the browser that started the flow (no or another cookie): nothing is connected (a page)', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 409, description: 'The Page is connected to another organization, or the Meta app is not configured (a page)', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 502, description: 'Meta failed the code exchange or the Page lookup (a page)', content: { 'text/html': { schema: { type: 'string' } } } })
  async complete(@Query() query: OAuthCallbackQueryDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const outcome = await this.callback.complete({
      code: query.code,
      state: query.state,
      error: query.error,
      errorDescription: query.error_description,
      browserNonce: readOAuthBrowserCookie(request.headers.cookie),
    });
    void reply.header('set-cookie', clearedOAuthBrowserCookie(this.config.publicUrl));
    await this.answer(reply, outcome);
  }

  private async answer(reply: FastifyReply, outcome: OAuthOutcome): Promise<void> {
    if (this.config.appUrl) {
      await reply.redirect(outcomeRedirect(this.config.appUrl, outcome), 302);
      return;
    }
    await reply.status(outcomeHttpStatus(outcome)).type('text/html; charset=utf-8').send(outcomePage(outcome));
  }
}
