import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JobQueue, MEDIA_WORKERS } from '../jobs/job-queue.service';
import { StorageService } from './storage.service';

export const DELETE_FILES_JOB = 'storage.delete-files';
export const DELETE_FILES_ATTEMPTS = 10;

export interface DeleteFilesPayload {
  storageKeys: string[];
}

/**
 * Deletes stored files whose rows are gone (an unsent message's attachments). Queued in the
 * transaction that removes the rows, so the files go once that commits and only then, even if
 * the process dies in between; deleting is idempotent, so a retry is harmless.
 */
@Injectable()
export class DeleteFilesJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly storage: StorageService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // With the media copies: file work never holds the send workers.
    this.jobs.registerIsolated<DeleteFilesPayload>(MEDIA_WORKERS, this.config.mediaWorkerConcurrency, DELETE_FILES_JOB, async ({ storageKeys }) => {
      for (const key of storageKeys) await this.storage.delete(key);
    });
  }
}
