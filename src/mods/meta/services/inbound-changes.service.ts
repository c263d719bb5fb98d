import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { MessageReaction } from '../../../messaging/entities/message.entity';
import type { EditEvent, ReactionEvent, UnsendEvent } from '../types/webhook.types';
import { InboundEffects, returnedIds } from './inbound-effects';
import type { InboundScope } from './inbound-scope';

/**
 * Changes to a message already stored, each one idempotent single statement keyed on the
 * message's mid: reactions (one per party, a new one replaces), edits (only a higher edit
 * count applies), unsends.
 */
@Injectable()
export class InboundChangesService {
  async apply(scope: InboundScope, event: ReactionEvent | EditEvent | UnsendEvent, manager: EntityManager, effects: InboundEffects): Promise<void> {
    switch (event.type) {
      case 'reaction':
        // The Page's own reactions (made elsewhere) reach the inbox, not integrators.
        return effects.updated(await this.react(scope, event, manager), event.by === 'contact' ? 'reaction.received' : null);
      case 'edit':
        return effects.updated(await this.edit(scope, event, manager), 'message.edited');
      case 'unsend':
        return effects.updated(await this.unsend(scope, event, manager), 'message.deleted');
    }
  }

  private async react(scope: InboundScope, event: ReactionEvent, manager: EntityManager): Promise<string[]> {
    const added: MessageReaction[] =
      event.action === 'react' ? [{ by: event.by, reaction: event.reaction ?? 'other', emoji: event.emoji }] : [];
    const result: unknown = await manager.query(
      `WITH next AS (
         SELECT m.id, COALESCE((SELECT jsonb_agg(r) FROM jsonb_array_elements(m.reactions) r WHERE r->>'by' <> $4), '[]'::jsonb) || $5::jsonb AS reactions
         FROM messages m WHERE m.organization_id = $1 AND m.channel = $2 AND m.external_id = $3
       )
       UPDATE messages SET reactions = next.reactions, updated_at = now()
       FROM next WHERE messages.id = next.id AND messages.reactions IS DISTINCT FROM next.reactions
       RETURNING messages.id`,
      [scope.organizationId, scope.channel, event.mid, event.by, JSON.stringify(added)],
    );
    return returnedIds(result);
  }

  /** The text Meta shows now; the first text is kept in metadata as `originalText`. */
  private async edit(scope: InboundScope, event: EditEvent, manager: EntityManager): Promise<string[]> {
    const result: unknown = await manager.query(
      `UPDATE messages SET
         metadata = COALESCE(metadata, '{}'::jsonb) || jsonb_build_object('originalText', COALESCE(metadata->'originalText', to_jsonb(text))),
         text = $4, edit_count = $5, edited_at = $6, updated_at = now()
       WHERE organization_id = $1 AND channel = $2 AND external_id = $3 AND edit_count < $5 AND deleted_at IS NULL
       RETURNING id`,
      [scope.organizationId, scope.channel, event.mid, event.text, event.editCount, new Date(event.timestamp)],
    );
    return returnedIds(result);
  }

  /** The person took it back: marked deleted and its text dropped, as they asked. */
  private async unsend(scope: InboundScope, event: UnsendEvent, manager: EntityManager): Promise<string[]> {
    const result: unknown = await manager.query(
      `UPDATE messages SET deleted_at = $4, text = NULL, updated_at = now()
       WHERE organization_id = $1 AND channel = $2 AND external_id = $3 AND deleted_at IS NULL
       RETURNING id`,
      [scope.organizationId, scope.channel, event.mid, new Date(event.timestamp)],
    );
    return returnedIds(result);
  }
}
