import { Global, Module } from '@nestjs/common';
import { JobBatcher } from './job-batcher';
import { JobQueue } from './job-queue.service';

@Global()
@Module({ providers: [JobQueue, JobBatcher], exports: [JobQueue, JobBatcher] })
export class JobsModule {}
