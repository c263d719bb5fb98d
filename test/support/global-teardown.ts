import { rmSync } from 'node:fs';
import type { EmbeddedPostgres } from '../../src/database/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __testPostgres?: EmbeddedPostgres }).__testPostgres;
  await server?.stop();
  if (process.env.TEST_POSTGRES_DATA_DIR) rmSync(process.env.TEST_POSTGRES_DATA_DIR, { recursive: true, force: true });
}
