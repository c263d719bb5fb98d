import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import type { MessageButton, QuickReply } from '../channels/channel-sender';
import { MessageChannel } from '../message-channel';
import { Attachment } from './attachment.entity';
import { Conversation } from './conversation.entity';

export enum MessageDirection {
  Inbound = 'inbound',
  Outbound = 'outbound',
}

export enum MessageSender {
  Contact = 'contact',
  Agent = 'agent',
  Page = 'page',
}

export enum MessageStatus {
  Received = 'received',
  Pending = 'pending',
  Published = 'published',
  Delivered = 'delivered',
  Read = 'read',
  FailedWaitingForRetry = 'failed_waiting_for_retry',
  Failed = 'failed',
}

/** What kind of conversation item this is: a message, or a postback / referral shown in line. */
export enum MessageKind {
  Message = 'message',
  Postback = 'postback',
  Referral = 'referral',
}

export interface MessageReaction {
  by: 'contact' | 'page';
  reaction: string;
  emoji: string | null;
}

/** The person at the inbox who sent an outbound message (from the scoped token they used). */
export interface MessageAgent {
  id: string;
  name: string;
}

export interface GraphErrorDetails {
  code: number | null;
  subcode: number | null;
  message: string;
  fbtraceId: string | null;
}

@Entity('messages')
@Unique('uq_messages_channel_external_id', ['channel', 'externalId'])
@Index('ix_messages_conversation_time', ['conversationId', 'sentAt', 'id'])
@Index('ix_messages_org_time', ['organizationId', 'sentAt'])
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  /** Null only for a private reply to a comment until Meta names the commenter. */
  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId: string | null;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Conversation;

  @Column({ type: 'enum', enum: MessageChannel, enumName: 'message_channel' })
  channel: MessageChannel;

  @Column({ type: 'enum', enum: MessageDirection, enumName: 'message_direction' })
  direction: MessageDirection;

  @Column({ type: 'enum', enum: MessageSender, enumName: 'message_sender' })
  sender: MessageSender;

  @Column({ type: 'enum', enum: MessageKind, enumName: 'message_kind', default: MessageKind.Message })
  kind: MessageKind;

  @Column({ type: 'enum', enum: MessageStatus, enumName: 'message_status' })
  status: MessageStatus;

  @Column({ type: 'text', nullable: true })
  text: string | null;

  /** Meta's `mid` / `message_id`. */
  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId: string | null;

  @Column({ name: 'reply_to_external_id', type: 'text', nullable: true })
  replyToExternalId: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  reactions: MessageReaction[];

  /** Extra platform data: quick-reply payload, postback, referral, story reply. */
  @Column({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null;

  /** Platform time of the message (for outbound: when it was accepted). */
  @Column({ name: 'sent_at', type: 'timestamptz' })
  sentAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt: Date | null;

  @Column({ name: 'edited_at', type: 'timestamptz', nullable: true })
  editedAt: Date | null;

  @Column({ name: 'edit_count', type: 'integer', default: 0 })
  editCount: number;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  /** Outbound: the quick replies sent under the text, as sent. */
  @Column({ name: 'quick_replies', type: 'jsonb', nullable: true })
  quickReplies: QuickReply[] | null;

  /** Outbound: the buttons of the button template, as sent. */
  @Column({ type: 'jsonb', nullable: true })
  buttons: MessageButton[] | null;

  @Column({ name: 'messaging_type', type: 'text', nullable: true })
  messagingType: string | null;

  @Column({ type: 'text', nullable: true })
  tag: string | null;

  /** The platform's id of the comment this message privately replies to. */
  @Column({ name: 'private_reply_to_comment', type: 'text', nullable: true })
  privateReplyToComment: string | null;

  @Column({ type: 'jsonb', nullable: true })
  agent: MessageAgent | null;

  @Column({ name: 'error_details', type: 'jsonb', nullable: true })
  errorDetails: GraphErrorDetails | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @OneToMany(() => Attachment, (attachment) => attachment.message)
  attachments?: Attachment[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
