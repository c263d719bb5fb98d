import { Controller, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, getSchemaPath, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors';
import type { FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { CurrentOrganization } from '../../auth/current-organization.decorator';
import { InboxAuth } from '../../auth/auth.decorators';
import { AttachmentsService } from '../services/attachments.service';
import { validatedBody } from '../../common/validation';
import { Base64AttachmentDto, UploadedAttachmentView } from './attachment.dto';

const NOT_AN_UPLOAD = 'Send the file as multipart/form-data in a field named "file", or as JSON {filename, mimeType, data} with data in base64';
const isJson = (request: FastifyRequest) => /^application\/(.+\+)?json\b/i.test(request.headers['content-type'] ?? '');

@ApiTags('messaging')
@InboxAuth()
@Controller('api/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post()
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({
    description: 'multipart/form-data with the file in a field named "file", or JSON {filename, mimeType, data} with the file in base64',
    schema: {
      oneOf: [
        { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } },
        { $ref: getSchemaPath(Base64AttachmentDto) },
      ],
    },
  })
  @ApiExtraModels(Base64AttachmentDto)
  @ApiCreatedResponse({ type: UploadedAttachmentView })
  @ApiErrors(
    [400, 'No file part in the form, or a JSON body that fails validation (filename, mimeType, base64 data)'],
    [413, 'Larger than MAX_ATTACHMENT_BYTES'],
    [415, 'Neither multipart nor JSON, or a file without a usable content type'],
  )
  async upload(@CurrentOrganization() organizationId: string, @Req() request: FastifyRequest): Promise<UploadedAttachmentView> {
    if (request.isMultipart()) return this.attachments.upload(organizationId, request.parts());
    if (!isJson(request)) throw new DomainError(DomainErrorCode.UnsupportedMediaType, NOT_AN_UPLOAD);
    return this.attachments.uploadBase64(organizationId, await validatedBody(Base64AttachmentDto, request.body));
  }
}
