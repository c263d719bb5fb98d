import { Global, Module } from '@nestjs/common';
import { InboundQueue } from './inbound-queue';
import { WorkBacklogMetrics } from './job-backlog';
import { JobNudges } from './job-nudges';
import { JobQueue } from './job-queue.service';

@Global()
@Module({ providers: [JobQueue, InboundQueue, JobNudges, WorkBacklogMetrics], exports: [JobQueue, InboundQueue] })
export class JobsModule {}
