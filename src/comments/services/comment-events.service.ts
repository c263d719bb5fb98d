import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OutboxEntry } from '../../events/domain-event.types';
import { DomainEvents } from '../../events/domain-events.service';
import { CommentViews } from './comment-views.service';

/** What a unit of comment work changed, recorded in the outbox of the transaction that changed it. */
export class CommentEffects {
  readonly created = new Set<string>();
  readonly updated = new Set<string>();
}

/**
 * The comment events, with the whole comment as REST shows it: a new comment is
 * `comment.received` for integrators and `comment.created` on sockets (the Page's own comments
 * only the latter); any later change is `comment.updated` on sockets.
 */
@Injectable()
export class CommentEventsService {
  constructor(
    private readonly views: CommentViews,
    private readonly events: DomainEvents,
  ) {}

  /** In the caller's transaction, so the change and its events commit together. */
  async record(manager: EntityManager, organizationId: string, effects: CommentEffects): Promise<void> {
    const updated = [...effects.updated].filter((id) => !effects.created.has(id));
    const views = await this.views.byIds([...effects.created, ...updated], manager);
    const entries: OutboxEntry[] = views.map((view) => {
      if (!effects.created.has(view.id)) return { type: null, realtime: [{ event: 'comment.updated', payload: view }] };
      if (view.fromPage) return { type: null, realtime: [{ event: 'comment.created', payload: view }] };
      return { type: 'comment.received', object: view, realtime: [{ event: 'comment.created' }] };
    });
    await this.events.record(manager, organizationId, entries);
  }

  /** A socket `comment.updated` for each of these comments, in the caller's transaction. */
  recordUpdated(manager: EntityManager, organizationId: string, commentIds: string[]): Promise<void> {
    const effects = new CommentEffects();
    commentIds.forEach((id) => effects.updated.add(id));
    return this.record(manager, organizationId, effects);
  }
}
