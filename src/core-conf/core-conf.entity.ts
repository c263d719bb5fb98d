import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The single row of run-time settings an admin sets: the Meta app credentials. */
@Entity('core_conf')
export class CoreConf {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  id: number;

  @Column({ name: 'meta_messaging_app_id', type: 'text', nullable: true })
  metaMessagingAppId: string | null;

  /** AES-256-GCM ciphertext of the app secret. */
  @Column({ name: 'meta_messaging_app_secret', type: 'text', nullable: true })
  metaMessagingAppSecret: string | null;

  @Column({ name: 'meta_messaging_verify_token', type: 'text', nullable: true })
  metaMessagingVerifyToken: string | null;

  /** SHA-256 of the generated admin token (unused when ADMIN_TOKEN is set). */
  @Column({ name: 'admin_token_hash', type: 'text', nullable: true })
  adminTokenHash: string | null;

  /** A known text encrypted with the instance's key (see `EncryptionKeyCheck`). */
  @Column({ name: 'encryption_key_check', type: 'text', nullable: true, select: false })
  encryptionKeyCheck: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
