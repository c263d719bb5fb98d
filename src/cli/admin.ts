import { DataSource } from 'typeorm';
import { AdminTokenService } from '../auth/admin-token.service';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { EmbeddedPostgres } from '../database/embedded-postgres';
import { runMigrationsLocked } from '../database/run-migrations';

const USAGE = `Usage: npm run admin -- <command>

Commands:
  rotate-token   Generate a new admin token, print it, write it to DATA_DIR/admin-token and
                 store its hash; the old token stops working (running instances within 5 s).
`;

/** Exit with a sentence for the operator on stderr; stdout stays for what scripts read. */
function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/**
 * The database the service uses: DATABASE_URL, or the embedded server under DATA_DIR — the
 * running instance's when one holds it, else started for this command and stopped after.
 */
async function openDatabase(config: AppConfig): Promise<{ url: string; close: () => Promise<void> }> {
  if (config.databaseUrl) return { url: config.databaseUrl, close: async () => undefined };
  const embedded = new EmbeddedPostgres(config.dataDir, { log: (line) => process.stderr.write(`${line}\n`) });
  const running = embedded.runningInstanceUrl();
  if (running) return { url: running, close: async () => undefined };
  const url = await embedded.start();
  return { url, close: () => embedded.stop() };
}

async function rotateToken(config: AppConfig): Promise<void> {
  if (config.adminToken) {
    fail('ADMIN_TOKEN is set, so it is the admin token: choose a new value for ADMIN_TOKEN and restart the service instead.');
  }
  const database = await openDatabase(config);
  const dataSource = await new DataSource(dataSourceOptions(database.url, 2)).initialize();
  try {
    await runMigrationsLocked(dataSource);
    const { token, file } = await new AdminTokenService(config, dataSource).rotate();
    process.stderr.write(`New admin token, written to ${file}; the previous one no longer works:\n`);
    process.stdout.write(`${token}\n`);
  } finally {
    await dataSource.destroy();
    await database.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`Invalid configuration: ${error.message}`);
    throw error;
  }
  switch (command) {
    case 'rotate-token':
      return rotateToken(config);
    default:
      fail(command ? `Unknown command "${command}".\n\n${USAGE}` : USAGE, 2);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => fail(`admin failed: ${(error as Error)?.message ?? error}`),
);
