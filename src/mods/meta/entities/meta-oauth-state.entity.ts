import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A Facebook Login `state` in flight: bound to one organization, single use, short-lived. */
@Entity('meta_oauth_states')
export class MetaOAuthState {
  /** SHA-256 of the state; the state itself only travels through the browser. */
  @PrimaryColumn({ name: 'state_hash', type: 'text' })
  stateHash: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Index('ix_meta_oauth_states_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** SHA-256 of the nonce in the starting browser's cookie; null until a start link binds it. */
  @Column({ name: 'browser_hash', type: 'text', nullable: true })
  browserHash: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
