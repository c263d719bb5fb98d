import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { freePort, ServerProcess, waitFor } from './processes';

export const ROOT = join(__dirname, '..');
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const TS_NODE = ['-r', 'ts-node/register'];

/** A webhook endpoint under load, and how to count what it stored afterwards. */
export interface IngestTarget {
  name: 'ours' | 'baseline' | 'bottender';
  label: string;
  webhookUrl: string;
  /** Stored mids among those given (undefined: the target keeps nothing, e.g. a no-op bot). */
  storedMids?: (prefix: string) => Promise<{ distinct: Set<string>; rows: number }>;
  /** Resolves once the target has nothing left to process (ours: its job queue is empty). */
  drained?: () => Promise<boolean>;
  /** The server's process, for its CPU time. */
  pid?: number;
  stop(): Promise<void>;
}

export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function queryMids(databaseUrl: string, sql: string, prefix: string): Promise<{ distinct: Set<string>; rows: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ mid: string }>(sql, [`m\\_${prefix}\\_%`]);
    return { distinct: new Set(rows.map((row) => row.mid)), rows: rows.length };
  } finally {
    await client.end();
  }
}

/** The floor: bench/servers/floor.ts (Fastify + HMAC + one INSERT) on its own database. */
export async function startBaseline(serverUrl: string, appSecret: string, logDir: string): Promise<IngestTarget> {
  const databaseUrl = await createDatabase(serverUrl, 'bench_floor');
  const port = await freePort();
  const process_ = ServerProcess.start('baseline', [...TS_NODE, join(ROOT, 'bench', 'servers', 'floor.ts')], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', PORT: String(port), DATABASE_URL: databaseUrl, APP_SECRET: appSecret },
    logFile: join(logDir, 'baseline.log'),
  });
  await process_.announcedPort();
  return {
    name: 'baseline',
    label: 'floor (Fastify + HMAC + 1 INSERT)',
    webhookUrl: `http://127.0.0.1:${port}/webhook`,
    storedMids: (prefix) => queryMids(databaseUrl, 'SELECT mid FROM floor_events WHERE mid LIKE $1', prefix),
    pid: process_.child.pid,
    stop: () => process_.stop(),
  };
}

export const PEER_DIR = join(ROOT, 'bench', '.tmp', 'peer');

/** bottender 1.5.5, installed for the bench only (never a dependency of the product). */
export async function installBottender(log: (line: string) => void): Promise<void> {
  if (existsSync(join(PEER_DIR, 'node_modules', 'bottender', 'package.json'))) return;
  mkdirSync(PEER_DIR, { recursive: true });
  log('installing bottender@1.5.5 into bench/.tmp/peer (once)');
  const { execFileSync } = await import('node:child_process');
  execFileSync('npm', ['install', '--ignore-scripts', '--no-save', '--no-audit', '--no-fund', '--prefix', PEER_DIR, 'bottender@1.5.5'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
}

export async function startBottender(sandbox: MetaSandbox, page: { id: string; accessToken: string }, logDir: string): Promise<IngestTarget> {
  const port = await freePort();
  const process_ = ServerProcess.start('bottender', [join(ROOT, 'bench', 'servers', 'bottender', 'server.js')], {
    cwd: join(ROOT, 'bench', 'servers', 'bottender'),
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NODE_PATH: join(PEER_DIR, 'node_modules'),
      PORT: String(port),
      MESSENGER_PAGE_ID: page.id,
      MESSENGER_ACCESS_TOKEN: page.accessToken,
      MESSENGER_APP_ID: sandbox.appId,
      MESSENGER_APP_SECRET: sandbox.appSecret,
      MESSENGER_VERIFY_TOKEN: sandbox.verifyToken,
      MESSENGER_ORIGIN: sandbox.url,
    },
    logFile: join(logDir, 'bottender.log'),
  });
  await process_.announcedPort();
  return {
    name: 'bottender',
    label: 'bottender 1.5.5 (no-op bot)',
    webhookUrl: `http://127.0.0.1:${port}/webhooks/messenger`,
    pid: process_.child.pid,
    stop: () => process_.stop(),
  };
}

export interface Organization {
  id: string;
  apiKey: string;
  pageId: string;
}

/** A small JSON client for the service's REST API. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    return { status: response.status, body: parsed as T };
  }

  async expect<T = any>(status: number, method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, token, body);
    if (answer.status !== status) throw new Error(`${method} ${path} answered ${answer.status} (expected ${status}): ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}

export interface DbCounters {
  transactions: number;
  inserted: number;
  updated: number;
  deleted: number;
}

export interface OurService extends IngestTarget {
  /** The service database's cumulative counters (pg_stat_database; flushed by backends within ~1 s). */
  dbCounters(): Promise<DbCounters>;
  /** The service process, for its CPU time. */
  pid: number | undefined;
  api: Api;
  baseUrl: string;
  databaseUrl: string;
  organizations: Organization[];
}

/**
 * The real service as `npm start` runs it (`node dist/src/main.js`), on the bench's Postgres,
 * with the sandbox as Graph API; the Meta app configured through the admin route and one
 * Page per organization connected through the real OAuth routes.
 */
export async function startOurs(options: {
  serverUrl: string;
  sandbox: MetaSandbox;
  pages: Array<{ id: string }>;
  dataDir: string;
  logDir: string;
  logLevel: string;
  /** Extra node flags for the service, e.g. `--cpu-prof` to see where its time goes. */
  nodeArgs?: string[];
}): Promise<OurService> {
  const { sandbox } = options;
  const databaseUrl = await createDatabase(options.serverUrl, 'meta_inbox');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const process_ = ServerProcess.start('service', [...(options.nodeArgs ?? []), join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: baseUrl,
      DATABASE_URL: databaseUrl,
      DATA_DIR: options.dataDir,
      ADMIN_TOKEN,
      META_GRAPH_URL: sandbox.url,
      META_OAUTH_DIALOG_URL: sandbox.url,
      MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
      // The bench's integrator endpoint listens on loopback.
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: options.logLevel,
    },
    logFile: join(options.logDir, 'service.log'),
  });
  const api = new Api(baseUrl);
  await waitFor(
    async () => {
      if (process_.child.exitCode !== null) throw new Error(`service exited (${process_.child.exitCode}): ${process_.log()}`);
      const response = await fetch(`${baseUrl}/health`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    90000,
    'the service to answer /health',
  ).catch((error) => {
    throw new Error(`${error.message}\n${process_.log()}`);
  });

  await api.expect(200, 'PUT', '/api/admin/system-config', ADMIN_TOKEN, {
    meta_messaging_app_id: sandbox.appId,
    meta_messaging_app_secret: sandbox.appSecret,
    meta_messaging_verify_token: sandbox.verifyToken,
  });
  const organizations: Organization[] = [];
  for (const [index, page] of options.pages.entries()) {
    const org = await api.expect<{ id: string; apiKey: string }>(201, 'POST', '/api/admin/organizations', ADMIN_TOKEN, { name: `Bench ${index + 1}` });
    await connectViaOAuth(api, org.apiKey, page.id);
    organizations.push({ id: org.id, apiKey: org.apiKey, pageId: page.id });
  }

  return {
    name: 'ours',
    label: 'meta-inbox (durable ingest)',
    webhookUrl: `${baseUrl}/api/meta/webhook`,
    pid: process_.child.pid,
    api,
    baseUrl,
    databaseUrl,
    organizations,
    dbCounters: async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query(
          'SELECT xact_commit + xact_rollback AS t, tup_inserted AS i, tup_updated AS u, tup_deleted AS d FROM pg_stat_database WHERE datname = current_database()',
        );
        return { transactions: Number(rows[0].t), inserted: Number(rows[0].i), updated: Number(rows[0].u), deleted: Number(rows[0].d) };
      } finally {
        await client.end();
      }
    },
    storedMids: (prefix) => queryMids(databaseUrl, `SELECT external_id AS mid FROM messages WHERE external_id LIKE $1`, prefix),
    drained: async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        // Inbound work waits in inbound_queue; graphile-worker 0.17 keeps its jobs (profile fetches, media copies, sends) in graphile_worker._private_jobs.
        const { rows } = await client.query<{ n: string }>(
          'SELECT (SELECT count(*) FROM graphile_worker._private_jobs) + (SELECT count(*) FROM inbound_queue WHERE NOT dead) AS n',
        );
        return Number(rows[0].n) === 0;
      } finally {
        await client.end();
      }
    },
    stop: () => process_.stop(),
  };
}

/**
 * The browser's path through Facebook Login: `oauth-url`, the sandbox dialog (which grants
 * every Page it knows and redirects with a code), our callback, then the choice of Page.
 */
async function connectViaOAuth(api: Api, apiKey: string, pageId: string): Promise<void> {
  // A start link, opened as a browser would: it sets the cookie the callback must present.
  const { url } = await api.expect<{ url: string }>(200, 'GET', '/api/meta/connection/oauth-url?start=true', apiKey);
  const opened = await fetch(url, { redirect: 'manual' });
  const cookie = opened.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const dialog = await fetch(opened.headers.get('location') ?? url, { redirect: 'manual' });
  const callback = dialog.headers.get('location');
  if (dialog.status !== 302 || !callback) throw new Error(`the sandbox dialog answered ${dialog.status}: ${await dialog.text()}`);
  const landing = await fetch(callback, { redirect: 'manual', headers: { cookie } });
  if (landing.status >= 400) throw new Error(`the OAuth callback answered ${landing.status}: ${await landing.text()}`);
  let status = await api.expect<any>(200, 'GET', '/api/meta/connection/status', apiKey);
  if (!status.connected || status.pageId !== pageId) {
    await api.call('POST', '/api/meta/connection/page', apiKey, { pageId }).then((answer) => {
      if (answer.status >= 300) throw new Error(`choosing Page ${pageId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    });
    status = await api.expect<any>(200, 'GET', '/api/meta/connection/status', apiKey);
  }
  if (!status.connected || status.pageId !== pageId) throw new Error(`Page ${pageId} did not connect: ${JSON.stringify(status)}`);
}
