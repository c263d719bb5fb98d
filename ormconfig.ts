import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';
import { EmbeddedPostgres } from './src/database/embedded-postgres';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:generate|run`). It points at
 * DATABASE_URL, or starts the same embedded PostgreSQL the service uses under DATA_DIR.
 */
async function cliDataSource(): Promise<DataSource> {
  const config = loadConfig();
  let url = config.databaseUrl;
  if (!url) {
    const embedded = new EmbeddedPostgres(config.dataDir, { log: (line) => process.stderr.write(`${line}\n`) });
    url = await embedded.start();
    // The CLI ends with process.exit(): stop the server synchronously then.
    process.once('exit', () => embedded.stopSync());
  }
  return new DataSource(dataSourceOptions(url, 2));
}

export default cliDataSource();
