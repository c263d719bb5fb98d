import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * One real PostgreSQL for the whole run, started the way the service starts its own; each
 * test file then works in a database of its own on it (see test-app.ts).
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meta-inbox-test-'));
  const server = new EmbeddedPostgres(dataDir, { fast: true });
  process.env.TEST_POSTGRES_URL = await server.start();
  process.env.TEST_POSTGRES_DATA_DIR = dataDir;
  (globalThis as { __testPostgres?: EmbeddedPostgres }).__testPostgres = server;
}
