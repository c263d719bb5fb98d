import { Controller, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiPayloadTooLargeResponse, ApiTags, ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { OrganizationAuth } from '../../auth/auth.decorators';
import { AttachmentsService } from '../services/attachments.service';
import { UploadedAttachmentView } from './attachment.dto';

@ApiTags('messaging')
@OrganizationAuth()
@Controller('api/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: UploadedAttachmentView })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MAX_ATTACHMENT_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not multipart, or a file without a usable content type' })
  async upload(@CurrentOrganization() organizationId: string, @Req() request: FastifyRequest): Promise<UploadedAttachmentView> {
    if (!request.isMultipart()) throw new DomainError(DomainErrorCode.UnsupportedMediaType, 'Send the file as multipart/form-data in a field named "file"');
    return this.attachments.upload(organizationId, await request.file());
  }
}
