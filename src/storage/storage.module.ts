import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { FilesController } from './files.controller';
import { LocalDiskDriver } from './local-disk.driver';
import { STORAGE_DRIVER } from './storage-driver';
import { StorageService } from './storage.service';

@Global()
@Module({
  controllers: [FilesController],
  providers: [
    { provide: STORAGE_DRIVER, inject: [AppConfig], useFactory: (config: AppConfig) => new LocalDiskDriver(join(config.dataDir, 'files')) },
    StorageService,
  ],
  exports: [StorageService],
})
export class StorageModule {}
