/** What one unit of inbound work changed, announced over realtime once its transaction commits. */
export class InboundEffects {
  readonly createdMessages = new Set<string>();
  readonly updatedMessages = new Set<string>();
  readonly conversations = new Set<string>();

  updated(ids: Iterable<string>): void {
    for (const id of ids) this.updatedMessages.add(id);
  }
}

/**
 * Ids from an `UPDATE … RETURNING id` run through `EntityManager.query`, which hands back
 * `[rows, affectedCount]` for UPDATE and DELETE (and plain rows for everything else).
 */
export function returnedIds(result: unknown): string[] {
  const rows = Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result;
  return Array.isArray(rows) ? rows.map((row: { id: string }) => row.id) : [];
}
