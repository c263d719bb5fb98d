import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConfigError } from '../config/app-config';
import { EncryptionService } from './encryption.service';

const CHECK_PLAINTEXT = 'meta-inbox encryption key check';

/**
 * Refuses to start with an ENCRYPTION_KEY that cannot read what the database holds. Without
 * this, an instance given another key (or a lost DATA_DIR/encryption-key) starts fine and then
 * fails every webhook and send. The first start stores a known text encrypted with its key;
 * every later start must decrypt it. A database from before the check value is judged by a
 * secret it already holds.
 */
@Injectable()
export class EncryptionKeyCheck implements OnModuleInit {
  private readonly logger = new Logger('Encryption');

  constructor(
    private readonly encryption: EncryptionService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.dataSource.query('INSERT INTO core_conf (id) VALUES (1) ON CONFLICT (id) DO NOTHING');
    await this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query('SELECT encryption_key_check FROM core_conf WHERE id = 1 FOR UPDATE');
      if (row.encryption_key_check) {
        if (!this.opens(row.encryption_key_check)) throw keyMismatch();
        return;
      }
      const [stored] = await manager.query(
        `SELECT meta_messaging_app_secret AS ciphertext FROM core_conf WHERE meta_messaging_app_secret IS NOT NULL
         UNION ALL (SELECT page_access_token FROM organization_meta_settings LIMIT 1) LIMIT 1`,
      );
      if (stored && !this.opens(stored.ciphertext)) throw keyMismatch();
      await manager.query('UPDATE core_conf SET encryption_key_check = $1 WHERE id = 1', [this.encryption.encrypt(CHECK_PLAINTEXT)]);
      this.logger.log('stored the encryption key check value');
    });
  }

  private opens(ciphertext: string): boolean {
    try {
      this.encryption.decrypt(ciphertext);
      return true;
    } catch {
      return false;
    }
  }
}

function keyMismatch(): ConfigError {
  return new ConfigError(
    'ENCRYPTION_KEY cannot decrypt the secrets stored in this database (they were encrypted with another key). ' +
      'Start with the ENCRYPTION_KEY the database was first used with (or, when it was generated, the DATA_DIR/encryption-key of that first start).',
  );
}
