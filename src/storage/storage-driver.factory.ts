import { join } from 'node:path';
import type { AppConfig } from '../config/app-config';
import { LocalDiskDriver } from './local-disk.driver';
import { S3Driver } from './s3.driver';
import { StorageDriver } from './storage-driver';

/** S3-compatible storage when `S3_BUCKET` is set, else local disk under `DATA_DIR/files`. */
export function createStorageDriver(config: AppConfig): StorageDriver {
  return config.s3 ? S3Driver.fromSettings(config.s3) : new LocalDiskDriver(join(config.dataDir, 'files'));
}
