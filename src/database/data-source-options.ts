import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { PreparingClient } from './prepared-statements';

/**
 * How long a statement waits for a connection, a new one or one of the pool's: a server that
 * takes connections but never answers them, or a pool held by a stuck burst, then fails the
 * request within seconds (503 `The database is not available right now`) instead of holding it
 * without end. (A statement already sent on an open connection waits for its answer.)
 */
export const DATABASE_CONNECT_TIMEOUT_MS = 10_000;

export function dataSourceOptions(url: string, poolSize = 20, connectTimeoutMs = DATABASE_CONNECT_TIMEOUT_MS): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    extra: { max: poolSize, application_name: 'meta-inbox', Client: PreparingClient, connectionTimeoutMillis: connectTimeoutMs },
  };
}
