import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Contact } from '../../../contacts/contact.entity';

/** A contact's Instagram-scoped ID (IGSID) on one Instagram professional account. */
@Entity('contact_instagram')
@Unique('uq_contact_instagram_org_account_igsid', ['organizationId', 'igAccountId', 'igsid'])
export class ContactInstagram {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Index()
  @Column({ name: 'contact_id', type: 'uuid' })
  contactId: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id' })
  contact?: Contact;

  @Column({ name: 'ig_account_id', type: 'text' })
  igAccountId: string;

  @Column({ type: 'text' })
  igsid: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
