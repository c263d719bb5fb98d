import type { DataSource } from 'typeorm';

/** Arbitrary constant naming our migration lock among Postgres advisory locks. */
const MIGRATION_LOCK_KEY = 7_391_204_117;

/**
 * Runs pending migrations under a session-level advisory lock: TypeORM takes no lock of its
 * own, so two instances starting together would otherwise both run the same migration.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      return ran.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
