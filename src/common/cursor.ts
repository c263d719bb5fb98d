import { DomainError, DomainErrorCode } from './domain-error';

/**
 * A keyset position: a row's timestamp as whole microseconds since the epoch (Postgres keeps
 * microseconds, a JS Date only milliseconds, so the timestamp travels as an integer string
 * computed in SQL) and its id, the tie-breaker for rows with equal timestamps.
 */
export interface KeysetCursor {
  micros: string;
  id: string;
}

const MICROS = /^-?\d{1,16}$/; // within a double's exact integers, the SQL side multiplies by an interval
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Opaque to clients: base64url of a small JSON tuple. */
export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify([cursor.micros, cursor.id])).toString('base64url');
}

/** The position a cursor names; a cursor we did not make is a 400, never a database error. */
export function decodeCursor(raw: string): KeysetCursor {
  const invalid = () => new DomainError(DomainErrorCode.ValidationFailed, 'cursor is invalid');
  if (!BASE64URL.test(raw) || raw.length > 256) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [micros, id] = parsed as unknown[];
  if (typeof micros !== 'string' || !MICROS.test(micros) || typeof id !== 'string' || !UUID.test(id)) throw invalid();
  return { micros, id: id.toLowerCase() };
}

export const isUuid = (value: string): boolean => UUID.test(value);
