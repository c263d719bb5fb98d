import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Contact } from '../../../contacts/contact.entity';

/**
 * A contact's Page-scoped ID (PSID) on one Facebook Page, per organization: a Page that moves to
 * another organization keeps its PSIDs, and the new organization gets contacts of its own.
 */
@Entity('contact_facebook')
@Unique('uq_contact_facebook_org_page_psid', ['organizationId', 'pageId', 'psid'])
export class ContactFacebook {
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

  @Column({ name: 'page_id', type: 'text' })
  pageId: string;

  @Column({ type: 'text' })
  psid: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
