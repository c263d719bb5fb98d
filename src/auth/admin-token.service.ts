import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { generateToken, hashToken, safeEqual } from '../security/tokens';

/** How soon running instances take a rotated admin token (and refuse the old one). */
export const ADMIN_TOKEN_REFRESH_MS = 5000;

/**
 * The admin credential: ADMIN_TOKEN when set, else a token generated on first start whose
 * hash alone is kept in `core_conf`; the token itself is printed once and written to
 * DATA_DIR/admin-token (mode 0600).
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
    const token = generateToken('mi_admin');
    // Only the first instance to get here sets the hash; the others read it.
    const claimed: { admin_token_hash: string }[] = await this.dataSource.query(
      'UPDATE core_conf SET admin_token_hash = $1 WHERE id = 1 AND admin_token_hash IS NULL RETURNING admin_token_hash',
      [hashToken(token)],
    );
    if (claimed.length > 0) {
      const file = join(this.config.dataDir, 'admin-token');
      writeFileSync(file, `${token}\n`, { mode: 0o600 });
      // Printed once, on purpose: the operator's only way in besides the file.
      this.logger.log({ msg: `admin token generated (shown once, also written to ${file})`, adminToken: token, file });
    }
    const [row] = await this.dataSource.query('SELECT admin_token_hash FROM core_conf WHERE id = 1');
    this.expectedHash = row.admin_token_hash;
    this.keepRefreshing();
    this.logger.log('admin token ready');
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
