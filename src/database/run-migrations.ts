import type { DataSource } from 'typeorm';

/** Arbitrary constant naming our migration lock among Postgres advisory locks. */
export const MIGRATION_LOCK_KEY = 7_391_204_117;

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Runs `work` while holding the migration lock on `connection` (a single session). */
export async function withMigrationLock<T>(connection: Queryable, work: () => Promise<T>): Promise<T> {
  await connection.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    return await work();
  } finally {
    await connection.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

/**
 * Runs pending migrations under a session-level advisory lock: TypeORM takes no lock of its
 * own, so two instances starting together would otherwise both run the same migration.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const ran = await withMigrationLock(runner, () => dataSource.runMigrations({ transaction: 'each' }));
    return ran.map((migration) => migration.name);
  } finally {
    await runner.release();
  }
}
