import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { generateToken, hashToken, safeEqual } from '../security/tokens';

/**
 * The admin credential: ADMIN_TOKEN when set, else a token generated on first start whose
 * hash alone is kept in `core_conf`; the token itself is printed once and written to
 * DATA_DIR/admin-token (mode 0600).
 */
@Injectable()
export class AdminTokenService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminTokenService.name);
  private expectedHash?: string;

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
    this.logger.log('admin token ready');
  }

  matches(token: string): boolean {
    return this.expectedHash !== undefined && safeEqual(hashToken(token), this.expectedHash);
  }
}
