import { Column, CreateDateColumn, Entity, Index, JoinColumn, OneToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { Organization } from '../../../organizations/organization.entity';

export enum MetaConnectionStatus {
  Active = 'active',
  Expired = 'expired',
}

/** An organization's connected Facebook Page and the Instagram account linked to it. */
@Entity('organization_meta_settings')
export class OrganizationMetaSettings {
  @PrimaryColumn({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @OneToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Organization;

  @Index('uq_meta_settings_page_id', { unique: true })
  @Column({ name: 'page_id', type: 'text' })
  pageId: string;

  @Column({ name: 'page_name', type: 'text', nullable: true })
  pageName: string | null;

  /** AES-256-GCM ciphertext of the Page access token. */
  @Column({ name: 'page_access_token', type: 'text' })
  pageAccessToken: string;

  @Index('uq_meta_settings_ig_account_id', { unique: true, where: 'instagram_account_id IS NOT NULL' })
  @Column({ name: 'instagram_account_id', type: 'text', nullable: true })
  instagramAccountId: string | null;

  @Column({ name: 'instagram_username', type: 'text', nullable: true })
  instagramUsername: string | null;

  @Column({ type: 'enum', enum: MetaConnectionStatus, enumName: 'meta_connection_status', default: MetaConnectionStatus.Active })
  status: MetaConnectionStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
