import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OutboxEntry } from './domain-event.types';

/** The channel the relay LISTENs on; a recording transaction NOTIFYs it as it commits. */
export const DOMAIN_EVENTS_CHANNEL = 'meta_inbox_domain_events';

/**
 * The one place events are raised: the outbox.
 *
 * Record every change an inbox or an integrator cares about **inside the transaction that makes
 * it**, with the record as REST shows it:
 *
 * ```ts
 * await this.dataSource.transaction(async (manager) => {
 *   // ...the change...
 *   await this.events.record(manager, organizationId, [
 *     { type: 'message.received', object: view, realtime: [{ event: 'message.created' }, { event: 'conversation.updated', payload: conversation }] },
 *     { type: null, realtime: [{ event: 'message.updated', payload: other }] }, // socket events only
 *   ]);
 * });
 * ```
 *
 * - A log event (`type` set) gets the organization's next `sequence` when the relay picks it up,
 *   is listed by `GET /api/events` and is delivered to the organization's integrator webhooks.
 * - `realtime` lists the socket.io events it causes, in order; one without `payload` carries the
 *   log event's `object`. Each reaches the organization's sockets with a second argument
 *   `{id, sequence, type}` naming the log event (for `type: null`, the latest one before it).
 * - Nothing is sent before the transaction commits and nothing committed is lost: the relay
 *   (`EventRelayService`) is woken by the commit and also sweeps on a timer and at start-up.
 *
 * One statement per call (the insert and the wake-up together), so record everything a
 * transaction raises in one call where the hot path allows it.
 */
@Injectable()
export class DomainEvents {
  async record(manager: EntityManager, organizationId: string, entries: OutboxEntry[]): Promise<void> {
    await this.recordForEach(manager, [{ organizationId, entries }]);
  }

  /** Several organizations' entries, each organization's in order, in one statement. */
  async recordForEach(manager: EntityManager, lists: { organizationId: string; entries: OutboxEntry[] }[]): Promise<void> {
    const rows = lists.flatMap(({ organizationId, entries }) => outboxRows(entries).map((row) => ({ ...row, organization_id: organizationId })));
    if (rows.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive) throw new Error('DomainEvents.record needs the manager of an open transaction');
    await manager.query(
      `WITH recorded AS (
         INSERT INTO domain_events (organization_id, type, data, realtime)
         SELECT (e.value->>'organization_id')::uuid, e.value->>'type', e.value->'data', e.value->'realtime'
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, n)
         ORDER BY e.n
         RETURNING 1
       )
       SELECT pg_notify('${DOMAIN_EVENTS_CHANNEL}', '') FROM (SELECT count(*) FROM recorded) AS done`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * Many records' changes with their events in one statement, for changes that come at the same
   * moment (group commit). Each item's `row` becomes a row of the CTE `input` (with `n`, its
   * place, and its `organization_id`) typed by `change.columns`; `change.sql` is a data-modifying
   * statement over `input` that answers `RETURNING i.n` for each item it applied. Each applied
   * item's entries are recorded, in item order. Answers the places of the items applied.
   */
  async recordWithChanges(
    queryable: Queryable,
    items: { organizationId: string; entries: OutboxEntry[]; row: Record<string, unknown> }[],
    change: { sql: string; columns: string },
  ): Promise<Set<number>> {
    const input = items.map((item, n) => ({ ...item.row, n, organization_id: item.organizationId, outbox: outboxRows(item.entries) }));
    const [row] = await queryable.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(n int, organization_id uuid, outbox jsonb, ${change.columns})
       ), changed AS (${change.sql}),
       recorded AS (
         INSERT INTO domain_events (organization_id, type, data, realtime)
         SELECT i.organization_id, e.value->>'type', e.value->'data', e.value->'realtime'
         FROM input i JOIN changed c ON c.n = i.n, jsonb_array_elements(i.outbox) WITH ORDINALITY AS e(value, k)
         ORDER BY i.n, e.k
         RETURNING 1
       )
       SELECT array(SELECT n FROM changed) AS applied, CASE WHEN done.n > 0 THEN pg_notify('${DOMAIN_EVENTS_CHANNEL}', '') END
       FROM (SELECT count(*) AS n FROM recorded) AS done`,
      [JSON.stringify(input)],
    );
    return new Set<number>((row?.applied ?? []).map(Number));
  }
}

/** Anything that runs one statement: a data source, or a transaction's manager. */
interface Queryable {
  query(sql: string, params: unknown[]): Promise<any>;
}

function outboxRows(entries: OutboxEntry[]): { type: string | null; data: unknown; realtime: unknown[] }[] {
  return entries.map((entry) => ({
    type: entry.type,
    data: entry.type === null ? undefined : { object: entry.object },
    realtime: entry.realtime ?? [],
  }));
}
