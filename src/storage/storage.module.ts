import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DeleteFilesJob } from './delete-files.job';
import { FilesController } from './files.controller';
import { MediaDownloader } from './media-downloader.service';
import { STORAGE_DRIVER } from './storage-driver';
import { createStorageDriver } from './storage-driver.factory';
import { StorageService } from './storage.service';

@Global()
@Module({
  controllers: [FilesController],
  providers: [
    { provide: STORAGE_DRIVER, inject: [AppConfig], useFactory: createStorageDriver },
    StorageService,
    MediaDownloader,
    DeleteFilesJob,
  ],
  exports: [StorageService, MediaDownloader],
})
export class StorageModule {}
