import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { MessageChannel } from '../../messaging/message-channel';
import { CommentReply } from './comment-reply.entity';

/** A comment on a post of the organization's Page or on its Instagram media. */
@Entity('comments')
@Unique('uq_comments_channel_external_id', ['channel', 'externalId'])
@Index('ix_comments_org_time', ['organizationId', 'commentedAt', 'id'])
export class Comment {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Column({ type: 'enum', enum: MessageChannel, enumName: 'message_channel' })
  channel: MessageChannel;

  /** The Page id or Instagram account id the comment came through. */
  @Column({ name: 'account_id', type: 'text' })
  accountId: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId: string;

  @Column({ name: 'post_id', type: 'text', nullable: true })
  postId: string | null;

  /** Meta's id of the comment this one replies to. */
  @Column({ name: 'parent_external_id', type: 'text', nullable: true })
  parentExternalId: string | null;

  @Column({ type: 'text', nullable: true })
  text: string | null;

  @Column({ name: 'author_external_id', type: 'text', nullable: true })
  authorExternalId: string | null;

  @Column({ name: 'author_name', type: 'text', nullable: true })
  authorName: string | null;

  @Column({ name: 'author_username', type: 'text', nullable: true })
  authorUsername: string | null;

  /** Written by the Page / Instagram account itself. */
  @Column({ name: 'from_page', type: 'boolean', default: false })
  fromPage: boolean;

  /** Meta's time of the comment. */
  @Column({ name: 'commented_at', type: 'timestamptz' })
  commentedAt: Date;

  @Column({ type: 'boolean', default: false })
  hidden: boolean;

  /** When `hidden` last changed (Meta's time, or ours for our own call): an older change is a redelivery. */
  @Column({ name: 'hidden_changed_at', type: 'timestamptz', nullable: true })
  hiddenChangedAt: Date | null;

  @Column({ name: 'edited_at', type: 'timestamptz', nullable: true })
  editedAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @OneToMany(() => CommentReply, (reply) => reply.comment)
  replies?: CommentReply[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
