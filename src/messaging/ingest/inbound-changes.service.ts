import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { DomainEventType } from '../../events/domain-event.types';
import { assertUnreachable } from '../../common/assert-unreachable';
import { JobQueue } from '../../jobs/job-queue.service';
import type { MessageReaction } from '../entities/message.entity';
import { DELETE_FILES_ATTEMPTS, DELETE_FILES_JOB, DeleteFilesPayload } from '../../storage/delete-files.job';
import type { EditItem, InboundScope, MessageChange, ReactionItem, UnsendItem } from './inbound-item';
import { InboundEffects, returnedIds } from './inbound-effects';

/** Meta redelivers a webhook for up to 36 hours: a message later than that is not coming. */
const HELD_CHANGE_DAYS = 2;

function eventOf(change: MessageChange): DomainEventType | null {
  switch (change.type) {
    case 'reaction':
      // The Page's own reactions (made elsewhere) reach the inbox, not integrators.
      return change.by === 'contact' ? 'reaction.received' : null;
    case 'edit':
      return 'message.edited';
    case 'unsend':
      return 'message.deleted';
    default:
      return assertUnreachable(change);
  }
}

/**
 * Changes to a message, each one idempotent single statement keyed on the message's mid:
 * reactions (one per party, a new one replaces), edits (only a higher edit count applies),
 * unsends. A change whose message is not stored yet is held until it is.
 */
@Injectable()
export class InboundChangesService {
  constructor(private readonly jobs: JobQueue) {}

  async apply(scope: InboundScope, event: MessageChange, manager: EntityManager, effects: InboundEffects): Promise<void> {
    const ids = await this.change(scope, event, manager);
    if (ids.length === 0 && !(await this.exists(scope, event.mid, manager))) {
      await this.hold(scope, event, manager);
      return;
    }
    effects.updated(ids, eventOf(event));
  }

  /**
   * Changes that arrived before their message (Meta may reorder deliveries), applied in the order
   * they arrived once the message is stored, in the transaction that stores it: the message is
   * first shown (and `message.received`) as it is after them. True when any was applied.
   */
  async applyHeld(scope: InboundScope, mid: string, manager: EntityManager, effects: InboundEffects): Promise<boolean> {
    const rows: { id: string; change: MessageChange }[] = await manager.query(
      `SELECT id, change FROM held_message_changes WHERE organization_id = $1 AND channel = $2 AND external_id = $3 ORDER BY id FOR UPDATE`,
      [scope.organizationId, scope.channel, mid],
    );
    if (rows.length === 0) return false;
    for (const row of rows) effects.updated(await this.change(scope, row.change, manager), eventOf(row.change));
    await manager.query(`DELETE FROM held_message_changes WHERE id = ANY($1::bigint[])`, [rows.map((row) => row.id)]);
    return true;
  }

  private change(scope: InboundScope, event: MessageChange, manager: EntityManager): Promise<string[]> {
    switch (event.type) {
      case 'reaction':
        return this.react(scope, event, manager);
      case 'edit':
        return this.edit(scope, event, manager);
      case 'unsend':
        return this.unsend(scope, event, manager);
      default:
        return assertUnreachable(event);
    }
  }

  private async exists(scope: InboundScope, mid: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM messages WHERE organization_id = $1 AND channel = $2 AND external_id = $3`, [
      scope.organizationId,
      scope.channel,
      mid,
    ]);
    return rows.length > 0;
  }

  /**
   * Kept until the message arrives. A change to a message that never will (one from before the
   * Page was connected) is dropped after Meta's redelivery window, with the organization's next hold.
   */
  private async hold(scope: InboundScope, event: MessageChange, manager: EntityManager): Promise<void> {
    await manager.query(
      `WITH expired AS (DELETE FROM held_message_changes WHERE organization_id = $1 AND created_at < now() - interval '${HELD_CHANGE_DAYS} days')
       INSERT INTO held_message_changes (organization_id, channel, external_id, change) VALUES ($1, $2, $3, $4)`,
      [scope.organizationId, scope.channel, event.mid, JSON.stringify(event)],
    );
  }

  private async react(scope: InboundScope, event: ReactionItem, manager: EntityManager): Promise<string[]> {
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
  private async edit(scope: InboundScope, event: EditItem, manager: EntityManager): Promise<string[]> {
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

  /**
   * The person took it back: the message stays as a marker (`deletedAt`) and everything it said
   * goes — text, the original text of an edit and other metadata, and its attachments, whose
   * files are deleted by a job committed with this change (their signed URLs then answer 404).
   */
  private async unsend(scope: InboundScope, event: UnsendItem, manager: EntityManager): Promise<string[]> {
    const rows: { id: string; storage_keys: string[] | null }[] = await manager.query(
      `WITH m AS (
         UPDATE messages SET deleted_at = $4, text = NULL, metadata = NULL, updated_at = now()
         WHERE organization_id = $1 AND channel = $2 AND external_id = $3 AND deleted_at IS NULL
         RETURNING id
       ), gone AS (
         DELETE FROM attachments a USING m WHERE a.message_id = m.id AND a.organization_id = $1 RETURNING a.storage_key
       )
       SELECT m.id, (SELECT array_agg(storage_key) FROM gone WHERE storage_key IS NOT NULL) AS storage_keys FROM m`,
      [scope.organizationId, scope.channel, event.mid, new Date(event.timestamp)],
    );
    const ids = rows.map((row) => row.id);
    if (ids.length > 0) await this.scrubLoggedCopies(scope.organizationId, ids, manager);
    const storageKeys = rows.flatMap((row) => row.storage_keys ?? []);
    if (storageKeys.length > 0) {
      const payload: DeleteFilesPayload = { storageKeys };
      await this.jobs.addMany([{ name: DELETE_FILES_JOB, payload, options: { maxAttempts: DELETE_FILES_ATTEMPTS } }], manager);
    }
    return ids;
  }

  /**
   * The event log keeps the message as each earlier event showed it (received, edited) for
   * `GET /api/events` and integrator retries: those copies lose what it said too.
   */
  private async scrubLoggedCopies(organizationId: string, messageIds: string[], manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE domain_events SET data = jsonb_set(jsonb_set(jsonb_set(data, '{object,text}', 'null'), '{object,metadata}', 'null'), '{object,attachments}', '[]')
       WHERE organization_id = $1 AND data->'object'->>'id' = ANY($2::text[]) AND jsonb_typeof(data->'object') = 'object'
         AND created_at >= (SELECT min(created_at) FROM messages WHERE id = ANY($2::uuid[]))`,
      [organizationId, messageIds],
    );
  }
}
