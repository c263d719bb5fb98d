import { createHash } from 'node:crypto';
import { Client, type ClientConfig, type QueryResult } from 'pg';
import { endWhenSessionEnds } from './pool-errors';

/** Statements one connection keeps prepared, at most; past that, new ones are parsed each time. */
const MAX_PREPARED_PER_CONNECTION = 500;
/** Statement names remembered for their text, at most (a text's name is a hash of it). */
const MAX_NAMES = 5000;
/** Postgres' answer when a prepared statement's result shape changed under it (a migration added a column). */
const FEATURE_NOT_SUPPORTED = '0A000';

const names = new Map<string, string>();

/** The name a statement's text is prepared under: the same on every connection. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `mi_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    if (names.size >= MAX_NAMES) names.clear();
    names.set(text, name);
  }
  return name;
}

/**
 * A pg client that prepares each statement with parameters the first time this connection runs it
 * and runs the prepared statement after that, so Postgres parses (and, once it settles on a
 * generic plan, plans) each hot statement once per connection instead of on every call. Most of
 * the service's statements run thousands of times a second with new parameters, and parsing and
 * planning them took about as long as running them.
 *
 * Only statements with parameters are named: they are single statements already (the extended
 * protocol), while a text without parameters may hold several and goes as it is. A connection
 * prepares at most MAX_PREPARED_PER_CONNECTION statements. A prepared statement whose result
 * shape a migration changed (Postgres refuses it) goes unnamed on that connection from then on.
 *
 * A client whose session the server ends is ended with it (`endWhenSessionEnds`), so its pool
 * drops it rather than hand it out again.
 *
 * For TypeORM (`extra.Client`) and the pg pools of the job queue.
 */
export class PreparingClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    endWhenSessionEnds(this);
  }

  private readonly preparedNames = new Set<string>();
  /** Statements Postgres refused in their prepared shape on this connection: they go unnamed here. */
  private readonly unnamed = new Set<string>();

  // pg's other forms (query objects, texts without parameters) pass through untouched.
  override query(config: unknown, values?: unknown, callback?: unknown): never {
    const query = super.query as (...args: unknown[]) => never;
    if (typeof config !== 'string' || !Array.isArray(values) || values.length === 0) return query.call(this, config, values, callback);
    const name = statementName(config);
    const prepared = !this.unnamed.has(name) && (this.preparedNames.has(name) || this.preparedNames.size < MAX_PREPARED_PER_CONNECTION);
    if (!prepared) return query.call(this, config, values, callback);
    this.preparedNames.add(name);
    const refused = (error: { code?: string } | null | undefined) => {
      if (error?.code === FEATURE_NOT_SUPPORTED) this.unnamed.add(name);
    };
    if (typeof callback === 'function') {
      return query.call(this, { name, text: config, values }, (error: Error & { code?: string }, result: QueryResult) => {
        refused(error);
        callback(error, result);
      });
    }
    return (query.call(this, { name, text: config, values }) as Promise<QueryResult>).catch((error: Error & { code?: string }) => {
      refused(error);
      throw error;
    }) as never;
  }
}
