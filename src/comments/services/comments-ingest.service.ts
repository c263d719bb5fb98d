import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { assertUnreachable } from '../../common/assert-unreachable';
import type { CommentChange, CommentScope } from '../comment-change';
import { CommentEffects, CommentEventsService } from './comment-events.service';

type Added = Extract<CommentChange, { type: 'added' | 'edited' }>;
type Visibility = Extract<CommentChange, { type: 'visibility' }>;

/**
 * Applies comment changes from a channel. Exactly once in effect: every write is keyed on the
 * platform's comment id and changes a row only when the change is new, so a redelivered change
 * writes nothing and announces nothing.
 */
@Injectable()
export class CommentsIngestService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: CommentEventsService,
  ) {}

  /** The change and the events it raises, in one transaction. */
  async apply(scope: CommentScope, change: CommentChange): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const effects = new CommentEffects();
      await this.applyIn(scope, change, manager, effects);
      await this.events.record(manager, scope.organizationId, effects);
    });
  }

  private applyIn(scope: CommentScope, change: CommentChange, manager: EntityManager, effects: CommentEffects): Promise<void> {
    switch (change.type) {
      case 'added':
      case 'edited':
        return this.upsert(scope, change, manager, effects);
      case 'removed':
        return this.remove(scope, change.externalId, change.at, manager, effects);
      case 'visibility':
        return this.setHidden(scope, change, manager, effects);
      default:
        return assertUnreachable(change);
    }
  }

  private async upsert(scope: CommentScope, change: Added, manager: EntityManager, effects: CommentEffects): Promise<void> {
    if (change.byAccount && change.parentExternalId && (await this.addOwnReply(scope, change, manager, effects))) return;
    const edited = change.type === 'edited';
    const [row] = await manager.query(
      `INSERT INTO comments (organization_id, channel, account_id, external_id, post_id, parent_external_id, text,
                             author_external_id, author_name, author_username, from_page, commented_at, edited_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT ON CONSTRAINT uq_comments_channel_external_id DO UPDATE
         SET text = EXCLUDED.text, edited_at = EXCLUDED.edited_at, updated_at = now()
         WHERE $14::boolean AND comments.organization_id = EXCLUDED.organization_id AND comments.text IS DISTINCT FROM EXCLUDED.text
           AND (comments.edited_at IS NULL OR comments.edited_at <= EXCLUDED.edited_at)
       RETURNING id, (xmax = 0) AS inserted`,
      [
        scope.organizationId,
        scope.channel,
        scope.accountId,
        change.externalId,
        change.postId,
        change.parentExternalId,
        change.text,
        change.author.externalId,
        change.author.name,
        change.author.username,
        change.byAccount,
        new Date(change.at),
        edited ? new Date(change.at) : null,
        edited,
      ],
    );
    if (!row) return;
    (row.inserted ? effects.created : effects.updated).add(row.id);
  }

  /**
   * The Page's own reply to a comment we hold is one of its public replies (sent through us or
   * from Meta's apps), recorded once whichever way it arrives first.
   */
  private async addOwnReply(scope: CommentScope, change: Added, manager: EntityManager, effects: CommentEffects): Promise<boolean> {
    const [parent] = await manager.query(`SELECT id FROM comments WHERE organization_id = $1 AND channel = $2 AND external_id = $3`, [
      scope.organizationId,
      scope.channel,
      change.parentExternalId,
    ]);
    if (!parent) return false;
    const [row] = await manager.query(
      `INSERT INTO comment_replies (organization_id, comment_id, channel, external_id, text, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ON CONSTRAINT uq_comment_replies_channel_external_id DO UPDATE SET text = EXCLUDED.text
         WHERE $7::boolean AND comment_replies.text IS DISTINCT FROM EXCLUDED.text
       RETURNING comment_id`,
      [scope.organizationId, parent.id, scope.channel, change.externalId, change.text, new Date(change.at), change.type === 'edited'],
    );
    if (row) effects.updated.add(row.comment_id);
    return true;
  }

  private async remove(scope: CommentScope, externalId: string, at: number, manager: EntityManager, effects: CommentEffects): Promise<void> {
    const [rows] = await manager.query(
      `UPDATE comments SET deleted_at = $4, updated_at = now()
       WHERE organization_id = $1 AND channel = $2 AND external_id = $3 AND deleted_at IS NULL RETURNING id`,
      [scope.organizationId, scope.channel, externalId, new Date(at)],
    );
    rows.forEach((row: { id: string }) => effects.updated.add(row.id));
    const [replies] = await manager.query(`DELETE FROM comment_replies WHERE organization_id = $1 AND channel = $2 AND external_id = $3 RETURNING comment_id`, [
      scope.organizationId,
      scope.channel,
      externalId,
    ]);
    replies.forEach((row: { comment_id: string }) => effects.updated.add(row.comment_id));
  }

  /**
   * A change older than the last one is a redelivery and applies nothing: a redelivered hide
   * never undoes a later unhide. (Meta's times are whole seconds, so one second's changes apply in order.)
   */
  private async setHidden(scope: CommentScope, change: Visibility, manager: EntityManager, effects: CommentEffects): Promise<void> {
    const at = new Date(change.at);
    const [rows] = await manager.query(
      `UPDATE comments SET hidden = $4, hidden_changed_at = $5, updated_at = now()
       WHERE organization_id = $1 AND channel = $2 AND external_id = $3 AND hidden <> $4
         AND (hidden_changed_at IS NULL OR hidden_changed_at <= $5) RETURNING id`,
      [scope.organizationId, scope.channel, change.externalId, change.hidden, at],
    );
    rows.forEach((row: { id: string }) => effects.updated.add(row.id));
  }
}
