import type { Client, Pool } from 'pg';

/**
 * A pg client checked out of a pool (a LISTEN connection, a long query) emits 'error' when
 * the database goes away; with no listener that would crash the process. Every client of
 * `pool` gets one, so an outage is logged and survived, and the pool reconnects afterwards.
 */
export function surviveConnectionLoss(pool: Pool, log: (message: string) => void): void {
  pool.on('error', (error) => log(`idle connection lost: ${error.message}`));
  pool.on('connect', (client) => client.on('error', (error) => log(`connection lost: ${error.message}`)));
}

/**
 * The server ends a session with a FATAL message and closes the socket a moment later. A query
 * that failed with that message gives its client back to its pool in between, and the pool would
 * hand it to the next statement, which would fail too. Ended as soon as the message is handled
 * (after the query has its error), the client is dropped when it is given back.
 */
export function endWhenSessionEnds(client: Client): void {
  client.connection.on('errorMessage', (message: { severity?: unknown; code?: unknown }) => {
    if (endsSession(message)) queueMicrotask(() => void client.end().catch(() => undefined));
  });
}

/**
 * SQLSTATEs of a server ending the session (sent as FATAL): shut down by an administrator or a
 * crash, not accepting connections now, the database dropped, idle too long (57P01–57P05), idle
 * in a transaction too long (25P03), and connection exceptions (08).
 */
const SESSION_ENDING_CODES = /^(57P0[1-5]|25P03|08...)$/;

/** Whether an error the server sent ends this connection's session (the server closes it next). */
export function endsSession({ severity, code }: { severity?: unknown; code?: unknown }): boolean {
  return severity === 'FATAL' || severity === 'PANIC' || (typeof code === 'string' && SESSION_ENDING_CODES.test(code));
}

/**
 * SQLSTATE classes of a server that cannot take any statement now, whatever it says: connection
 * exceptions (08), insufficient resources (53), operator intervention (57: shutting down,
 * starting up) and system errors (58).
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);

/**
 * Whether the database answered this statement with an error about the statement itself (a
 * constraint, a trigger, bad data): another statement may succeed. A failed connection (no
 * answer at all, so no SQLSTATE) or a server that is going away is not that.
 */
export function isStatementRefusal(error: unknown): boolean {
  // pg's DatabaseError carries the server's severity and SQLSTATE; socket errors do not.
  const { severity, code } = (error ?? {}) as { severity?: unknown; code?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && !UNAVAILABLE_CLASSES.has(code.slice(0, 2));
}

/** Socket errors of a database that cannot be reached. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
/**
 * What pg throws when its connection ends under a query or cannot be made in time, and pg-pool
 * when no connection came free in time (no code of any kind).
 */
const PG_CONNECTION_ENDED = /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect)/;

/**
 * Whether the error says the database is away (refused, unreachable, shut down, starting up),
 * not that a statement or our code is wrong.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { severity, code } = error as { severity?: unknown; code?: unknown };
  if (typeof severity === 'string' && typeof code === 'string') return UNAVAILABLE_CLASSES.has(code.slice(0, 2));
  if (typeof code === 'string') return UNREACHABLE_CODES.has(code);
  return PG_CONNECTION_ENDED.test(error.message);
}
