import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { StorageService } from './storage.service';

/** Serves a stored file to whoever holds a valid signed URL (Meta, the inbox UI). */
@ApiExcludeController()
@Controller('files')
export class FilesController {
  constructor(private readonly storage: StorageService) {}

  @Get(':key')
  async get(
    @Param('key') key: string,
    @Query('expires') expires: string | undefined,
    @Query('signature') signature: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!this.storage.verify(key, expires, signature)) {
      throw new DomainError(DomainErrorCode.NotFound, 'File not found or link expired');
    }
    const file = await this.storage.open(key);
    if (!file) throw new DomainError(DomainErrorCode.NotFound, 'File not found or link expired');
    await reply
      .header('content-type', file.contentType)
      .header('content-length', file.size)
      .header('cache-control', 'private, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(file.stream);
  }
}
