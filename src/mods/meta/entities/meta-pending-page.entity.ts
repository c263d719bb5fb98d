import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A Page granted by a Facebook Login that granted several, held until the person picks one. */
@Entity('meta_pending_pages')
export class MetaPendingPage {
  @PrimaryColumn({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @PrimaryColumn({ name: 'page_id', type: 'text' })
  pageId: string;

  @Column({ name: 'page_name', type: 'text', nullable: true })
  pageName: string | null;

  /** AES-256-GCM ciphertext of the Page access token; it never leaves the server. */
  @Column({ name: 'page_access_token', type: 'text' })
  pageAccessToken: string;

  @Column({ name: 'instagram_account_id', type: 'text', nullable: true })
  instagramAccountId: string | null;

  @Column({ name: 'instagram_username', type: 'text', nullable: true })
  instagramUsername: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
