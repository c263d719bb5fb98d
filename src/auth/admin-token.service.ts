import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { generateToken, hashToken, safeEqual } from '../security/tokens';

/** How soon running instances take a rotated admin token (and refuse the old one). */
export const ADMIN_TOKEN_REFRESH_MS = 5000;

/**
 * The admin credential: ADMIN_TOKEN when set, else a token generated once (on the first start)
 * whose hash alone is kept in `core_conf`; the token itself is printed once and written to
 * DATA_DIR/admin-token (mode 0600), which later starts leave as it is.
 */
@Injectable()
export class AdminTokenService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AdminTokenService.name);
  private expectedHash?: string;
  private refresher?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.adminToken) {
      this.expectedHash = hashToken(this.config.adminToken);
      return;
    }
    await this.dataSource.query('INSERT INTO core_conf (id) VALUES (1) ON CONFLICT (id) DO NOTHING');
    this.expectedHash = await this.dataSource.transaction(async (manager) => {
      // The row lock makes instances starting together generate one token between them.
      const [row] = await manager.query('SELECT admin_token_hash FROM core_conf WHERE id = 1 FOR UPDATE');
      if (row.admin_token_hash) {
        this.warnIfFileIsStale(row.admin_token_hash);
        return row.admin_token_hash as string;
      }
      // A file left by a start that died before storing the hash is reused, so it stays true.
      const token = this.readFile() ?? generateToken('mi_admin');
      // The file first: if it cannot be written, no hash is stored and the next start tries again.
      mkdirSync(this.config.dataDir, { recursive: true });
      writeFileSync(this.file, `${token}\n`, { mode: 0o600 });
      const hash = hashToken(token);
      await manager.query('UPDATE core_conf SET admin_token_hash = $1 WHERE id = 1', [hash]);
      // Printed once, on purpose: the operator's only way in besides the file.
      this.logger.log({ msg: `admin token generated (shown once, also written to ${this.file})`, adminToken: token, file: this.file });
      return hash;
    });
    this.keepRefreshing();
    this.logger.log('admin token ready');
  }

  private get file(): string {
    return join(this.config.dataDir, 'admin-token');
  }

  private readFile(): string | undefined {
    try {
      return readFileSync(this.file, 'utf8').trim() || undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Another instance (another DATA_DIR) or an older database may hold the token: say so. */
  private warnIfFileIsStale(hash: string): void {
    const token = this.readFile();
    if (token !== undefined && !safeEqual(hashToken(token), hash)) {
      this.logger.warn(`${this.file} does not hold this database's admin token; set ADMIN_TOKEN, or use the file of the instance that generated it`);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.refresher);
  }

  /**
   * A new generated token replaces the stored hash and DATA_DIR/admin-token: the old token stops
   * working here at once and on running instances within ADMIN_TOKEN_REFRESH_MS. For an
   * operator who lost the token (`npm run admin -- rotate-token`).
   */
  async rotate(): Promise<{ token: string; file: string }> {
    if (this.config.adminToken) throw new Error('ADMIN_TOKEN is set: it is the admin token');
    const token = generateToken('mi_admin');
    const hash = hashToken(token);
    await this.dataSource.query(
      'INSERT INTO core_conf (id, admin_token_hash) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET admin_token_hash = EXCLUDED.admin_token_hash',
      [hash],
    );
    const file = join(this.config.dataDir, 'admin-token');
    mkdirSync(this.config.dataDir, { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    this.expectedHash = hash;
    return { token, file };
  }

  /** Instances keep the hash in memory; re-reading it now and then lets a rotation reach them. */
  private keepRefreshing(): void {
    this.refresher = setInterval(() => {
      this.dataSource
        .query('SELECT admin_token_hash FROM core_conf WHERE id = 1')
        .then(([row]: { admin_token_hash: string | null }[]) => {
          if (row?.admin_token_hash) this.expectedHash = row.admin_token_hash;
        })
        .catch(() => undefined);
    }, ADMIN_TOKEN_REFRESH_MS);
    this.refresher.unref();
  }

  matches(token: string): boolean {
    return this.expectedHash !== undefined && safeEqual(hashToken(token), this.expectedHash);
  }
}
