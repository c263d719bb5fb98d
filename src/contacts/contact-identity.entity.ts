import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { MessageChannel } from '../messaging/message-channel';
import { Contact } from './contact.entity';

/**
 * A contact's id on one channel account: a PSID on a Facebook Page, an IGSID on an Instagram
 * account. Unique per organization: a Page that moves to another organization keeps its PSIDs,
 * and the new organization gets contacts of its own.
 */
@Entity('contact_identities')
@Unique('uq_contact_identities_org_channel_account_external', ['organizationId', 'channel', 'accountId', 'externalId'])
export class ContactIdentity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Index('ix_contact_identities_contact')
  @Column({ name: 'contact_id', type: 'uuid' })
  contactId: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id' })
  contact?: Contact;

  @Column({ type: 'enum', enum: MessageChannel, enumName: 'message_channel' })
  channel: MessageChannel;

  /** The channel account the id belongs to: the Page id, the Instagram account id. */
  @Column({ name: 'account_id', type: 'text' })
  accountId: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
