import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import type { FastifyReply } from 'fastify';
import { notFound } from '../common/domain-error';
import { InboxAssets } from './inbox-assets';

/**
 * The page may load only itself, its socket, and images and media from anywhere (signed file
 * links may live on another host, avatars on Meta's CDN).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self' ws: wss:",
  'img-src * data: blob:',
  'media-src * blob:',
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** `GET /inbox`: the reference inbox, static ES modules with no build step. */
@ApiTags('inbox')
@Controller('inbox')
export class InboxPageController {
  constructor(private readonly assets: InboxAssets) {}

  @Get()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The reference inbox page (sign in with a token from POST /api/auth/tokens)', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiErrors([500, 'The page files are missing from this build'])
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get(':file')
  @ApiOkResponse({ description: "One of the page's static files (ES modules, CSS)", content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } })
  @ApiErrors([404, 'No such file'])
  file(@Param('file') file: string, @Res() reply: FastifyReply): void {
    this.send(reply, file);
  }

  private send(reply: FastifyReply, name: string): void {
    const asset = this.assets.get(name);
    if (!asset) throw notFound('File');
    void reply
      .header('content-type', asset.contentType)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .send(asset.body);
  }
}
