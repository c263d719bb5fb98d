import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { LogFormat } from '../logging/root-logger';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Every setting the service reads from its environment. All are optional; the defaults make
 * `npm start` work on a bare machine. Built once by `loadConfig` and injected as `AppConfig`.
 */
export class AppConfig {
  port: number;
  host: string;
  /** Unset: the service starts its own PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  publicUrl: string;
  adminToken?: string;
  encryptionKey?: string;
  metaGraphUrl: string;
  metaGraphVersion: string;
  metaOauthDialogUrl: string;
  /** Where the browser lands after the OAuth callback; unset: a small page of our own. */
  appUrl?: string;
  logLevel: LogLevel;
  /** `json` (one object per line) or `pretty` (pino-pretty, for a terminal). */
  logFormat: LogFormat;
  /** Set by `main.ts` when it started the embedded PostgreSQL (for the logs). */
  embeddedDatabase = false;
  /** A second bearer token that may read `GET /metrics` (the admin token always may). */
  metricsToken?: string;
  /** Largest attachment accepted by upload or copied from Meta's CDN, in bytes. */
  maxAttachmentBytes: number;
  /** Allow media downloads from loopback/private addresses (the sandbox needs it). */
  mediaAllowPrivateNetworks: boolean;
  /** Seconds a signed file URL stays valid. */
  fileUrlTtlSeconds: number;
  /** Graph API request timeout in milliseconds. */
  graphTimeoutMs: number;
  /** Batches of inbound work this instance applies at once (`InboundQueue`). */
  workerConcurrency: number;
  /** Send jobs run at once by this instance, on workers of their own. */
  sendWorkerConcurrency: number;
  /** Media copies and profile fetches run at once by this instance, on workers of their own. */
  mediaWorkerConcurrency: number;
  /** Tries of an outbound send job before its messages are `failed` (retries back off exponentially). */
  sendMaxAttempts: number;
  /** How long a job this instance holds but runs nowhere stays locked before it is freed (a lost completion). */
  jobOrphanGraceSeconds: number;
  /** Meta's per-Page Send API limits (calls per second): text/images/files/reactions/actions, and audio/video. */
  metaPageSendsPerSecond: number;
  metaPageMediaSendsPerSecond: number;
  /** Send API calls to one Page that leave together go as one batch request of at most this many (1: each alone). */
  metaGraphBatchSize: number;
  /** Allow integrator webhook endpoints on loopback/private addresses (local receivers, the sandbox). */
  webhooksAllowPrivateNetworks: boolean;
  /** Integrator webhook deliveries in flight at once on this instance (its own dispatcher, not the job workers). */
  webhookConcurrency: number;
  /** Days the event log (`GET /api/events`) keeps an event; at least 7. */
  eventsRetentionDays: number;
  /**
   * Browser origins allowed to call the REST API and open sockets from another origin
   * (`CORS_ORIGINS`, comma-separated); `['*']` allows any. Empty: same-origin pages only.
   */
  corsOrigins: string[];
  /**
   * Which proxies' `X-Forwarded-*` headers to believe (Fastify's `trustProxy`): false (none),
   * true (any), a hop count, or addresses/CIDR ranges.
   */
  trustProxy: boolean | number | string[];
  /** S3-compatible storage; unset bucket: local disk under `dataDir/files`. */
  s3?: { bucket: string; region: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string; forcePathStyle: boolean };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function positiveInt(env: Env, name: string, fallback: number, { allowZero = false } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return value;
}

function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function origins(env: Env, name: string): string[] {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return [];
  if (raw === '*') return ['*'];
  return raw.split(',').map((entry) => {
    const value = entry.trim();
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`${name} must be * or a comma-separated list of origins like https://app.example.com, got "${value}"`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/+$/, '')) {
      throw new ConfigError(`${name} must be * or a comma-separated list of origins like https://app.example.com, got "${value}"`);
    }
    return url.origin;
  });
}

/** TRUST_PROXY: unset or false (none), true (any), a hop count, or comma-separated addresses/CIDRs. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || ['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError(`TRUST_PROXY must be true, false, a hop count, or comma-separated IP addresses/CIDR ranges, got "${entry}"`);
    }
  }
  return entries;
}

/** Reads and validates the environment; a bad value throws a `ConfigError` naming it. */
export function loadConfig(env: Env = process.env): AppConfig {
  const config = new AppConfig();
  config.port = positiveInt(env, 'PORT', 3000, { allowZero: true });
  if (config.port > 65535) throw new ConfigError(`PORT must be at most 65535, got "${env.PORT}"`);
  config.host = env.HOST || '0.0.0.0';
  if (env.DATABASE_URL) {
    if (!/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) {
      throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
    }
    config.databaseUrl = env.DATABASE_URL;
  }
  const dataDir = env.DATA_DIR || './.data';
  config.dataDir = isAbsolute(dataDir) ? dataDir : resolve(process.cwd(), dataDir);
  config.publicUrl = httpUrl(env, 'PUBLIC_URL', `http://localhost:${config.port}`);
  if (env.ADMIN_TOKEN !== undefined && env.ADMIN_TOKEN !== '') {
    if (env.ADMIN_TOKEN.length < 16) throw new ConfigError('ADMIN_TOKEN must be at least 16 characters');
    config.adminToken = env.ADMIN_TOKEN;
  }
  if (env.ENCRYPTION_KEY) {
    const key = Buffer.from(env.ENCRYPTION_KEY, /^[0-9a-f]{64}$/i.test(env.ENCRYPTION_KEY) ? 'hex' : 'base64');
    if (key.length !== 32) {
      throw new ConfigError('ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64');
    }
    config.encryptionKey = env.ENCRYPTION_KEY;
  }
  config.metaGraphUrl = httpUrl(env, 'META_GRAPH_URL', 'https://graph.facebook.com');
  config.metaGraphVersion = env.META_GRAPH_VERSION || 'v21.0';
  if (!/^v\d+\.\d+$/.test(config.metaGraphVersion)) {
    throw new ConfigError(`META_GRAPH_VERSION must look like v21.0, got "${config.metaGraphVersion}"`);
  }
  config.metaOauthDialogUrl = httpUrl(env, 'META_OAUTH_DIALOG_URL', 'https://www.facebook.com');
  config.appUrl = env.APP_URL ? httpUrl(env, 'APP_URL', '') : undefined;
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  config.logLevel = logLevel;
  const logFormat = (env.LOG_FORMAT || 'json').toLowerCase();
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError(`LOG_FORMAT must be json or pretty, got "${env.LOG_FORMAT}"`);
  config.logFormat = logFormat;
  if (env.METRICS_TOKEN !== undefined && env.METRICS_TOKEN !== '') {
    if (env.METRICS_TOKEN.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
    config.metricsToken = env.METRICS_TOKEN;
  }
  config.maxAttachmentBytes = positiveInt(env, 'MAX_ATTACHMENT_BYTES', 25 * 1024 * 1024);
  config.mediaAllowPrivateNetworks = bool(env, 'MEDIA_ALLOW_PRIVATE_NETWORKS', false);
  config.fileUrlTtlSeconds = positiveInt(env, 'FILE_URL_TTL_SECONDS', 7 * 24 * 3600);
  config.graphTimeoutMs = positiveInt(env, 'META_GRAPH_TIMEOUT_MS', 15000);
  // Each batch claims up to 200 rows of the backlog and applies them in one transaction: two keep
  // one applying while the other commits; more split the backlog into smaller batches.
  config.workerConcurrency = positiveInt(env, 'WORKER_CONCURRENCY', 2);
  config.sendWorkerConcurrency = positiveInt(env, 'SEND_WORKER_CONCURRENCY', 32);
  config.mediaWorkerConcurrency = positiveInt(env, 'MEDIA_WORKER_CONCURRENCY', 4);
  config.sendMaxAttempts = positiveInt(env, 'SEND_MAX_ATTEMPTS', 5);
  config.jobOrphanGraceSeconds = positiveInt(env, 'JOB_ORPHAN_GRACE_SECONDS', 150);
  config.metaPageSendsPerSecond = positiveInt(env, 'META_PAGE_SENDS_PER_SECOND', 300);
  config.metaPageMediaSendsPerSecond = positiveInt(env, 'META_PAGE_MEDIA_SENDS_PER_SECOND', 10);
  config.metaGraphBatchSize = positiveInt(env, 'META_GRAPH_BATCH_SIZE', 50);
  if (config.metaGraphBatchSize > 50) throw new ConfigError(`META_GRAPH_BATCH_SIZE must be at most 50 (Meta's limit), got "${env.META_GRAPH_BATCH_SIZE}"`);
  config.webhooksAllowPrivateNetworks = bool(env, 'WEBHOOKS_ALLOW_PRIVATE_NETWORKS', false);
  config.webhookConcurrency = positiveInt(env, 'WEBHOOK_CONCURRENCY', 64);
  config.eventsRetentionDays = positiveInt(env, 'EVENTS_RETENTION_DAYS', 7);
  if (config.eventsRetentionDays < 7) throw new ConfigError(`EVENTS_RETENTION_DAYS must be at least 7, got "${env.EVENTS_RETENTION_DAYS}"`);
  config.corsOrigins = origins(env, 'CORS_ORIGINS');
  config.trustProxy = trustProxy(env);
  if (env.S3_BUCKET) {
    config.s3 = {
      bucket: env.S3_BUCKET,
      region: env.S3_REGION || 'us-east-1',
      endpoint: env.S3_ENDPOINT ? httpUrl(env, 'S3_ENDPOINT', '') : undefined,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', Boolean(env.S3_ENDPOINT)),
    };
  }
  return config;
}
