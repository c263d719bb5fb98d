import { encodeCursor } from '../../common/cursor';

/** SQL for a timestamp column as whole microseconds since the epoch (exact: numeric math). */
export const microsOf = (column: string): string => `CAST(CAST(extract(epoch FROM ${column}) * 1000000 AS bigint) AS text)`;

/** SQL turning the `:micros` parameter back into a timestamptz. */
export const MICROS_PARAM_AS_TIMESTAMP = `(TIMESTAMPTZ 'epoch' + CAST(:micros AS bigint) * INTERVAL '1 microsecond')`;

/**
 * Keeps the first `limit` of `limit + 1` fetched rows; when the extra row exists there is a
 * next page, which starts after the last row kept.
 */
export function pageOf<T extends { id: string }>(rows: T[], limit: number, microsById: Map<string, string>): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return { rows: kept, nextCursor: encodeCursor({ micros: microsById.get(last.id)!, id: last.id }) };
}
