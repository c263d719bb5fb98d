import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MediaDownloader, MediaDownloadError } from '../../storage/media-downloader.service';
import { StorageService } from '../../storage/storage.service';
import { Attachment, AttachmentStatus } from '../entities/attachment.entity';
import { attachmentKindOf } from './attachments.service';

/** A file named by URL that could not be fetched; `userMessage` says which and why. */
export class OutboundFileError extends Error {
  constructor(
    readonly permanent: boolean,
    readonly reason: string,
    readonly userMessage: string,
  ) {
    super(userMessage);
    this.name = 'OutboundFileError';
  }
}

/**
 * Files a send names by URL (`attachmentUrls`) are copied into our storage before they are sent,
 * through the same guarded downloader as inbound media (http(s) only, private addresses refused
 * unless allowed, size cap, deadline), so Meta fetches our signed URL and the record keeps our copy.
 */
@Injectable()
export class OutboundFilesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly downloader: MediaDownloader,
    private readonly storage: StorageService,
  ) {}

  /** The attachment, stored: fetched now when still pending. */
  async fetch(attachment: Attachment): Promise<Attachment> {
    if (attachment.status !== AttachmentStatus.Pending || !attachment.sourceUrl) return attachment;
    const url = attachment.sourceUrl;
    let media;
    try {
      media = await this.downloader.download(url);
    } catch (error) {
      if (!(error instanceof MediaDownloadError)) throw error;
      throw new OutboundFileError(error.permanent, error.message, `Could not fetch the file at ${url}: ${error.message}.`);
    }
    const storageKey = await this.storage.store(media.body, media.contentType);
    const changes = { status: AttachmentStatus.Stored, storageKey, mimeType: media.contentType, size: media.size, type: attachmentKindOf(media.contentType), fileName: fileNameOf(url) };
    const result = await this.dataSource.getRepository(Attachment).update({ id: attachment.id, status: AttachmentStatus.Pending }, changes);
    if (!result.affected) {
      // An earlier run of this send stored it already: keep that copy.
      await this.storage.delete(storageKey);
      return this.dataSource.getRepository(Attachment).findOneByOrFail({ id: attachment.id });
    }
    return Object.assign(attachment, changes);
  }
}

function fileNameOf(url: string): string | null {
  try {
    const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    return last || null;
  } catch {
    return null;
  }
}
