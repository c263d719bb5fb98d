import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { Contact } from '../../contacts/contact.entity';
import { MessageChannel } from '../message-channel';

/** One conversation per (organization, contact, channel). */
@Entity('conversations')
@Unique('uq_conversations_org_contact_channel', ['organizationId', 'contactId', 'channel'])
@Index('ix_conversations_org_activity', ['organizationId', 'lastMessageAt', 'id'])
@Index('ix_conversations_org_channel_activity', ['organizationId', 'channel', 'lastMessageAt', 'id'])
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Column({ name: 'contact_id', type: 'uuid' })
  contactId: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id' })
  contact?: Contact;

  @Column({ type: 'enum', enum: MessageChannel, enumName: 'message_channel' })
  channel: MessageChannel;

  /** The contact's last inbound message: the start of the 24-hour window. */
  @Column({ name: 'last_inbound_at', type: 'timestamptz', nullable: true })
  lastInboundAt: Date | null;

  @Column({ name: 'last_message_at', type: 'timestamptz' })
  lastMessageAt: Date;

  @Column({ name: 'unread_count', type: 'integer', default: 0 })
  unreadCount: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
