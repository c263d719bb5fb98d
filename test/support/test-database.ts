import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The URL of the run's shared server (started by global-setup.ts). */
export function serverUrl(): string {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: run e2e tests through jest (global-setup.ts)');
  return url;
}

/** A fresh, empty database on the shared server, for one test file. */
export async function createTestDatabase(): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
