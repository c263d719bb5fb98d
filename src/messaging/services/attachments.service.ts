import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Multipart } from '@fastify/multipart';
import { Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { StorageService } from '../../storage/storage.service';
import { Base64AttachmentDto, UploadedAttachmentView } from '../api/attachment.dto';
import { Attachment, AttachmentStatus } from '../entities/attachment.entity';

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
/** Types that say nothing about the file: nobody (Meta included) could tell what to show. */
const UNKNOWN_TYPES = new Set(['application/octet-stream', 'application/unknown', 'binary/octet-stream']);

export const ONE_FILE = 'Send exactly one file, in a multipart field named "file"';

export const UNSUPPORTED_TYPE =
  'The file has no usable content type. Send it with its real type (for example image/png, video/mp4, audio/mpeg or application/pdf).';

/** What kind of attachment a file is, by its MIME prefix (as every channel shows it). */
export function attachmentKindOf(mimeType: string): string {
  const prefix = mimeType.split('/')[0];
  return ['image', 'video', 'audio'].includes(prefix) ? prefix : 'file';
}

/** Files uploaded for sending (`POST /api/attachments`), kept in storage until a send uses them. */
@Injectable()
export class AttachmentsService {
  constructor(
    @InjectRepository(Attachment) private readonly attachments: Repository<Attachment>,
    private readonly storage: StorageService,
    private readonly config: AppConfig,
  ) {}

  async upload(organizationId: string, parts: AsyncIterable<Multipart>): Promise<UploadedAttachmentView> {
    const { mimeType, fileName, body } = await this.receiveOneFile(parts);
    return this.keep(organizationId, body, mimeType, fileName);
  }

  /** The same upload as JSON `{filename, mimeType, data}` with the file in base64. */
  async uploadBase64(organizationId: string, body: Base64AttachmentDto): Promise<UploadedAttachmentView> {
    const mimeType = this.mimeTypeOf(body.mimeType);
    if (!mimeType) throw new DomainError(DomainErrorCode.UnsupportedMediaType, UNSUPPORTED_TYPE);
    // Refused before decoding: a base64 text is 4/3 of its bytes.
    if (Math.floor((body.data.length * 3) / 4) - padding(body.data) > this.config.maxAttachmentBytes) throw this.tooLarge();
    return this.keep(organizationId, Buffer.from(body.data, 'base64'), mimeType, body.filename || null);
  }

  private mimeTypeOf(raw: string | undefined): string | null {
    const mimeType = (raw ?? '').split(';')[0].trim().toLowerCase();
    return MIME_TYPE.test(mimeType) && !UNKNOWN_TYPES.has(mimeType) ? mimeType : null;
  }

  private async keep(organizationId: string, body: Buffer, mimeType: string, fileName: string | null): Promise<UploadedAttachmentView> {
    if (body.length === 0) throw new DomainError(DomainErrorCode.ValidationFailed, 'The file is empty');
    const storageKey = await this.storage.store(body, mimeType);
    const attachment = await this.attachments.save(
      this.attachments.create({
        organizationId,
        messageId: null,
        type: attachmentKindOf(mimeType),
        status: AttachmentStatus.Stored,
        mimeType,
        size: body.length,
        fileName,
        storageKey,
      }),
    );
    return { id: attachment.id, mimeType, size: body.length, url: this.storage.signedUrl(storageKey) };
  }

  private tooLarge(): DomainError {
    return new DomainError(DomainErrorCode.PayloadTooLarge, `The file is larger than the limit of ${this.config.maxAttachmentBytes} bytes`);
  }

  /**
   * Reads the whole form: exactly one file, in the field `file` (other fields are ignored).
   * A second file is refused rather than silently dropped, and a form that is cut off or
   * malformed is the client's error (400), never ours.
   */
  private async receiveOneFile(parts: AsyncIterable<Multipart>): Promise<{ mimeType: string; fileName: string | null; body: Buffer }> {
    let received: { mimeType: string; fileName: string | null; body: Buffer } | undefined;
    try {
      for await (const part of parts) {
        if (part.type !== 'file') continue;
        if (received || part.fieldname !== 'file') {
          part.file.resume();
          throw new DomainError(DomainErrorCode.ValidationFailed, ONE_FILE);
        }
        const mimeType = this.mimeTypeOf(part.mimetype);
        if (!mimeType) {
          part.file.resume();
          throw new DomainError(DomainErrorCode.UnsupportedMediaType, UNSUPPORTED_TYPE);
        }
        received = { mimeType, fileName: part.filename ? part.filename.replaceAll('\u0000', '') : null, body: await part.toBuffer() };
      }
    } catch (error) {
      throw this.uploadError(error);
    }
    if (!received) throw new DomainError(DomainErrorCode.ValidationFailed, ONE_FILE);
    return received;
  }

  private uploadError(error: unknown): DomainError {
    if (error instanceof DomainError) return error;
    switch ((error as { code?: string }).code) {
      case 'FST_REQ_FILE_TOO_LARGE':
        return this.tooLarge();
      case 'FST_FILES_LIMIT':
        return new DomainError(DomainErrorCode.ValidationFailed, ONE_FILE);
      default:
        return new DomainError(DomainErrorCode.ValidationFailed, `The multipart upload is malformed or was cut off (${(error as Error).message ?? String(error)})`);
    }
  }
}

function padding(base64: string): number {
  return base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
}
