import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, isUuid } from '../../common/cursor';
import { notFound } from '../../common/domain-error';
import { DEFAULT_PAGE_SIZE } from '../../messaging/api/page-query.dto';
import { MICROS_PARAM_AS_TIMESTAMP, microsOf, pageOf } from '../../messaging/services/keyset';
import { CommentPageView, CommentView } from '../api/comment.view';
import { ListCommentsQueryDto } from '../api/comments.dto';
import { Comment } from '../entities/comment.entity';
import { CommentViews } from './comment-views.service';

/** Comments newest first, keyset-paged on (Meta's time, id), and one comment by id. */
@Injectable()
export class CommentsQueryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly views: CommentViews,
  ) {}

  async list(organizationId: string, query: ListCommentsQueryDto): Promise<CommentPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.dataSource
      .getRepository(Comment)
      .createQueryBuilder('c')
      .addSelect(microsOf('c.commented_at'), 'cursor_micros')
      .where('c.organization_id = :organizationId', { organizationId })
      .orderBy('c.commentedAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit + 1);
    if (query.channel) qb.andWhere('c.channel = :channel', { channel: query.channel });
    if (query.cursor) qb.andWhere(`(c.commented_at, c.id) < (${MICROS_PARAM_AS_TIMESTAMP}, :id)`, decodeCursor(query.cursor));
    const { entities, raw } = await qb.getRawAndEntities<{ c_id: string; cursor_micros: string }>();
    const page = pageOf(entities, limit, new Map(raw.map((row) => [row.c_id, row.cursor_micros])));
    return { data: await this.views.views(page.rows), nextCursor: page.nextCursor };
  }

  async get(organizationId: string, id: string): Promise<CommentView> {
    const [view] = await this.views.views([await this.require(organizationId, id)]);
    return view;
  }

  /** Another organization's comment, or a malformed id, is answered like an unknown one: 404. */
  async require(organizationId: string, id: string): Promise<Comment> {
    const comment = isUuid(id) ? await this.dataSource.getRepository(Comment).findOneBy({ id, organizationId }) : null;
    if (!comment) throw notFound('Comment');
    return comment;
  }
}
