import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JobContext } from '../../../jobs/job-queue.service';
import { Attachment, AttachmentStatus } from '../../../messaging/entities/attachment.entity';
import { MediaDownloader, MediaDownloadError } from '../../../storage/media-downloader.service';
import { StorageService } from '../../../storage/storage.service';
import type { MediaCopyPayload } from '../jobs/media-copy.job';
import { InboundAnnouncerService } from './inbound-announcer.service';
import { InboundEffects } from './inbound-effects';

/**
 * Copies an inbound attachment from Meta's CDN into our storage before the link expires:
 * pending → stored, or unavailable once retrying cannot help.
 */
@Injectable()
export class InboundMediaService {
  private readonly logger = new Logger('InboundMedia');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly downloader: MediaDownloader,
    private readonly storage: StorageService,
    private readonly announcer: InboundAnnouncerService,
  ) {}

  async copy(payload: MediaCopyPayload, context: JobContext): Promise<void> {
    const attachments = this.dataSource.getRepository(Attachment);
    const attachment = await attachments.findOneBy({ id: payload.attachmentId, organizationId: payload.organizationId });
    if (!attachment || attachment.status !== AttachmentStatus.Pending || !attachment.sourceUrl) return;
    let media;
    try {
      media = await this.downloader.download(attachment.sourceUrl);
    } catch (error) {
      const permanent = !(error instanceof MediaDownloadError) || error.permanent;
      if (!permanent && !context.isLastAttempt) throw error;
      this.logger.warn(`attachment ${attachment.id} unavailable: ${(error as Error).message}`);
      await this.settle(attachment, { status: AttachmentStatus.Unavailable });
      return;
    }
    const key = await this.storage.store(media.body, media.contentType);
    const stored = await this.settle(attachment, { status: AttachmentStatus.Stored, storageKey: key, mimeType: media.contentType, size: media.size });
    if (!stored) await this.storage.delete(key); // another run got there first
  }

  /** Moves a pending attachment to its final state once, and tells the inbox. */
  private async settle(attachment: Attachment, changes: Pick<Partial<Attachment>, 'status' | 'storageKey' | 'mimeType' | 'size'>): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(Attachment)
      .update({ id: attachment.id, status: AttachmentStatus.Pending }, changes);
    if (!result.affected) return false;
    const effects = new InboundEffects();
    if (attachment.messageId) effects.updatedMessages.add(attachment.messageId);
    await this.announcer.announce(attachment.organizationId, effects);
    return true;
  }
}
