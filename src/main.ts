import type { Logger as Pino } from 'pino';
import { createApp } from './bootstrap';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { EmbeddedPostgres } from './database/embedded-postgres';
import { isDatabaseUnavailable } from './database/pool-errors';
import { createBootLogger, createRootLogger } from './logging/root-logger';

const CLOSE_AFTER_FAILURE_MS = 5000;

function fail(logger: Pino, message: string, error?: unknown): never {
  logger.fatal(error instanceof Error ? { err: error } : {}, message);
  process.exit(1);
}

/** Where a person reaches the service it just started: the bound address, made browsable. */
function listeningUrl(config: AppConfig, port: number): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(createBootLogger(), `Invalid configuration: ${error.message}`);
    throw error;
  }
  const logger = createRootLogger({ level: config.logLevel, format: config.logFormat });

  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) {
    const log = logger.child({ context: 'EmbeddedPostgres' });
    embedded = new EmbeddedPostgres(config.dataDir, { log: (line) => log.info(line) });
    try {
      config.databaseUrl = await embedded.start();
    } catch (error) {
      fail(logger, `The embedded PostgreSQL could not start: ${(error as Error)?.message ?? error}`);
    }
    config.embeddedDatabase = true;
  }

  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${signal} received, shutting down`);
    await app?.close().catch(() => undefined);
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  // graphile-worker 0.17 does not wait for a finished job's completion statement, so when the
  // database goes away under it the rejection reaches no one. The job stays locked and is freed
  // by the liveness sweep (JOB_ORPHAN_GRACE_SECONDS); anything else unhandled is a bug and stops
  // the process, as Node would.
  process.on('unhandledRejection', (reason) => {
    if (isDatabaseUnavailable(reason)) {
      logger.error({ err: reason }, 'a database statement nobody waited for failed with the database away (a job completion): the job runs again later');
      return;
    }
    fail(logger, 'Unhandled promise rejection', reason);
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    app = await createApp(config, logger);
    await app.listen(config.port, config.host);
  } catch (error) {
    // After a failed start-up hook, closing can wait forever on what never started: bound it.
    await Promise.race([app?.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, CLOSE_AFTER_FAILURE_MS).unref())]);
    await embedded?.stop();
    if (error instanceof ConfigError) fail(logger, `Invalid configuration: ${error.message}`);
    fail(logger, 'Start-up failed', error);
  }
  const { port } = app.getHttpServer().address() as { port: number };
  const url = listeningUrl(config, port);
  logger.info({ context: 'HTTP', url, host: config.host, port, publicUrl: config.publicUrl, docs: `${url}/docs` }, `listening on ${url}`);
}

void main();
