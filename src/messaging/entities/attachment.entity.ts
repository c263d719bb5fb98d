import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Message } from './message.entity';

export enum AttachmentStatus {
  /** The file is in our storage. */
  Stored = 'stored',
  /** Inbound media still to be copied from Meta's CDN. */
  Pending = 'pending',
  /** No file to keep: a type without a URL, or a copy that failed for good. */
  Unavailable = 'unavailable',
  /** Kept at Meta and never copied (story mentions: Meta's policy forbids storing them). */
  Remote = 'remote',
}

@Entity('attachments')
export class Attachment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Index()
  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId: string | null;

  @ManyToOne('Message', 'attachments', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  /** Meta's attachment type: image, video, audio, file, share, story_mention, ig_reel, fallback… */
  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'enum', enum: AttachmentStatus, enumName: 'attachment_status', default: AttachmentStatus.Stored })
  status: AttachmentStatus;

  @Column({ name: 'mime_type', type: 'text', nullable: true })
  mimeType: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  size: number | null;

  @Column({ name: 'file_name', type: 'text', nullable: true })
  fileName: string | null;

  @Column({ name: 'storage_key', type: 'text', nullable: true })
  storageKey: string | null;

  /** Where Meta served it from (inbound), or a link it carried (shares, fallbacks). */
  @Column({ name: 'source_url', type: 'text', nullable: true })
  sourceUrl: string | null;

  /** When the platform's link to remote media stops working. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  payload: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
