import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { JobContext } from '../../jobs/job-queue.service';
import { Attachment, AttachmentStatus } from '../entities/attachment.entity';
import { MediaDownloader, MediaDownloadError } from '../../storage/media-downloader.service';
import { StorageService } from '../../storage/storage.service';
import type { MediaCopyPayload } from './media-copy.job';
import { InboundEffects } from './inbound-effects';
import { InboundRecorderService } from './inbound-recorder.service';

/**
 * Copies an inbound attachment from the channel's CDN into our storage before the link expires:
 * pending → stored, or unavailable once retrying cannot help.
 */
@Injectable()
export class InboundMediaService {
  private readonly logger = new Logger('InboundMedia');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly downloader: MediaDownloader,
    private readonly storage: StorageService,
    private readonly recorder: InboundRecorderService,
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

  /**
   * Moves a pending attachment to its final state once and records the message as it now is; the
   * copy that settles an inbound message's last pending file raises its `message.received`.
   */
  private settle(attachment: Attachment, changes: Pick<Partial<Attachment>, 'status' | 'storageKey' | 'mimeType' | 'size'>): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const messageId = attachment.messageId;
      // Copies of one message's files settle one at a time, so exactly one sees none left pending.
      const [message] = messageId ? await manager.query(`SELECT direction FROM messages WHERE id = $1 FOR UPDATE`, [messageId]) : [];
      const result = await manager.update(Attachment, { id: attachment.id, status: AttachmentStatus.Pending }, changes);
      if (!result.affected) return false;
      if (!messageId || !message) return true;
      const [{ pending }] = await manager.query(`SELECT count(*)::int AS pending FROM attachments WHERE message_id = $1 AND status = 'pending'`, [messageId]);
      const effects = new InboundEffects();
      effects.updatedMessages.set(messageId, message.direction === 'inbound' && pending === 0 ? 'message.received' : null);
      await this.recorder.record(manager, attachment.organizationId, effects);
      return true;
    });
  }
}
