import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import type { FastifyReply } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { FILE_SECURITY_HEADERS, fileServing } from './file-serving-policy';
import { StorageService } from './storage.service';

/**
 * Serves a stored file to whoever holds a valid signed URL (Meta, the inbox UI), in a way that
 * cannot run anything on our origin (see `fileServing`).
 */
@ApiTags('files')
@Controller('files')
export class FilesController {
  constructor(private readonly storage: StorageService) {}

  @Get(':key')
  @ApiOperation({ summary: 'A stored attachment, through the signed link in its `url` (no credential needed while the signature holds)' })
  @ApiParam({ name: 'key', description: 'The storage key from the signed URL' })
  @ApiQuery({ name: 'expires', description: 'Unix seconds after which the link stops working (FILE_URL_TTL_SECONDS)' })
  @ApiQuery({ name: 'signature', description: 'HMAC of key and expires' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: "The file, with its stored content type", schema: { type: 'string', format: 'binary' } })
  @ApiErrors([404, 'No such file, a wrong signature, or an expired link (never told apart)'])
  async get(
    @Param('key') key: string,
    @Query('expires') expires: string | undefined,
    @Query('signature') signature: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Set before anything can fail, so refusals carry them too.
    void reply.headers(FILE_SECURITY_HEADERS);
    if (!this.storage.verify(key, expires, signature)) {
      throw new DomainError(DomainErrorCode.NotFound, 'File not found or link expired');
    }
    const file = await this.storage.open(key);
    if (!file) throw new DomainError(DomainErrorCode.NotFound, 'File not found or link expired');
    const serving = fileServing(file.contentType);
    await reply
      .header('content-type', serving.contentType)
      .header('content-disposition', serving.disposition)
      .header('content-length', file.size)
      .header('cache-control', 'private, max-age=3600')
      .send(file.stream);
  }
}
