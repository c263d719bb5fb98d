import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { Message, MessageStatus } from '../../messaging/entities/message.entity';
import { iso } from '../../messaging/views/message.view';
import { MessageViews } from '../../messaging/views/message-views.service';
import { CommentView } from '../api/comment.view';
import { CommentReply } from '../entities/comment-reply.entity';
import { Comment } from '../entities/comment.entity';

/** Comments as REST and events show them: with their public replies, private reply and parent. */
@Injectable()
export class CommentViews {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messageViews: MessageViews,
  ) {}

  /** The comments of `ids`, in that order (missing ones left out). */
  async byIds(ids: string[], manager: EntityManager = this.dataSource.manager): Promise<CommentView[]> {
    if (ids.length === 0) return [];
    const comments = await manager.find(Comment, { where: { id: In(ids) } });
    const byId = new Map(comments.map((c) => [c.id, c]));
    return this.views(ids.filter((id) => byId.has(id)).map((id) => byId.get(id)!), manager);
  }

  /** Three statements for any number of comments: replies, private replies, parents. */
  async views(comments: Comment[], manager: EntityManager = this.dataSource.manager): Promise<CommentView[]> {
    if (comments.length === 0) return [];
    const replies = await manager.find(CommentReply, { where: { commentId: In(comments.map((c) => c.id)) }, order: { createdAt: 'ASC', id: 'ASC' } });
    const privateReplies = await manager.find(Message, {
      where: comments.map((c) => ({ channel: c.channel, privateReplyToComment: c.externalId })),
      relations: { attachments: true },
      order: { createdAt: 'DESC' },
    });
    const parentKeys = comments.filter((c) => c.parentExternalId).map((c) => ({ channel: c.channel, externalId: c.parentExternalId! }));
    const parents = parentKeys.length ? await manager.find(Comment, { where: parentKeys, select: { id: true, channel: true, externalId: true } }) : [];
    const parentId = new Map(parents.map((p) => [`${p.channel}:${p.externalId}`, p.id]));
    return comments.map((comment) => {
      const own = privateReplies.filter((m) => m.channel === comment.channel && m.privateReplyToComment === comment.externalId);
      // The attempt that counts: one that has not failed, else the latest failed one.
      const privateReply = own.find((m) => m.status !== MessageStatus.Failed) ?? own[0] ?? null;
      return {
        id: comment.id,
        channel: comment.channel,
        externalId: comment.externalId,
        postId: comment.postId,
        parentId: comment.parentExternalId ? (parentId.get(`${comment.channel}:${comment.parentExternalId}`) ?? null) : null,
        parentExternalId: comment.parentExternalId,
        text: comment.text,
        author: { externalId: comment.authorExternalId, name: comment.authorName, username: comment.authorUsername },
        fromPage: comment.fromPage,
        createdAt: iso(comment.commentedAt)!,
        hidden: comment.hidden,
        editedAt: iso(comment.editedAt),
        deletedAt: iso(comment.deletedAt),
        privateReply: privateReply ? this.messageViews.message(privateReply) : null,
        replies: replies.filter((r) => r.commentId === comment.id).map((r) => ({ id: r.id, text: r.text, createdAt: iso(r.createdAt)! })),
      };
    });
  }
}
