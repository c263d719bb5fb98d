import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { MessageChannel } from '../../messaging/message-channel';
import type { Comment } from './comment.entity';

/** A public reply of the Page / Instagram account to a comment (sent by us or from Meta's apps). */
@Entity('comment_replies')
@Unique('uq_comment_replies_channel_external_id', ['channel', 'externalId'])
@Index('ix_comment_replies_comment', ['commentId', 'createdAt'])
export class CommentReply {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @Column({ name: 'comment_id', type: 'uuid' })
  commentId: string;

  @ManyToOne('Comment', 'replies', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'comment_id' })
  comment?: Comment;

  @Column({ type: 'enum', enum: MessageChannel, enumName: 'message_channel' })
  channel: MessageChannel;

  @Column({ name: 'external_id', type: 'text' })
  externalId: string;

  @Column({ type: 'text', nullable: true })
  text: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
