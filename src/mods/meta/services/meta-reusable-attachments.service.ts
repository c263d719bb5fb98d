import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Which Meta platform an attachment id was saved for: ids of one do not work on the other. */
export type MetaPlatform = 'messenger' | 'instagram';

/** The key of one reusable attachment: a stored file, saved once per Page and platform. */
export interface ReusableKey {
  pageId: string;
  platform: MetaPlatform;
  storageKey: string;
}

/**
 * Meta's reusable `attachment_id`s, one per (Page, platform, stored file). Copies of an upload
 * share their storage key, so every send of the same file to a Page reuses one id. Meta expires
 * ids (about 90 days); a refused id is forgotten and replaced by the next send that saves one.
 */
@Injectable()
export class MetaReusableAttachments {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(key: ReusableKey): Promise<string | null> {
    const [row] = await this.dataSource.query(
      `SELECT attachment_id FROM meta_reusable_attachments WHERE page_id = $1 AND platform = $2 AND storage_key = $3`,
      [key.pageId, key.platform, key.storageKey],
    );
    return row?.attachment_id ?? null;
  }

  async remember(key: ReusableKey, attachmentId: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO meta_reusable_attachments (page_id, platform, storage_key, attachment_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (page_id, platform, storage_key) DO UPDATE SET attachment_id = EXCLUDED.attachment_id, created_at = now()`,
      [key.pageId, key.platform, key.storageKey, attachmentId],
    );
  }

  /** Forgets `attachmentId` only: a newer id saved meanwhile by another send stays. */
  async forget(key: ReusableKey, attachmentId: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM meta_reusable_attachments WHERE page_id = $1 AND platform = $2 AND storage_key = $3 AND attachment_id = $4`,
      [key.pageId, key.platform, key.storageKey, attachmentId],
    );
  }
}
