import { Global, Module } from '@nestjs/common';
import { JobBatcher } from './job-batcher';
import { JobNudges } from './job-nudges';
import { JobQueue } from './job-queue.service';

@Global()
@Module({ providers: [JobQueue, JobBatcher, JobNudges], exports: [JobQueue, JobBatcher] })
export class JobsModule {}
