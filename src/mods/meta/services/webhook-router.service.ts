import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobQueue } from '../../../jobs/job-queue.service';
import { MessageChannel } from '../../../messaging/message-channel';
import { INBOUND_EVENTS_JOB, InboundEventsPayload } from '../jobs/inbound-event.job';
import type { WebhookIngestPayload } from '../jobs/webhook-ingest.job';
import { channelOfObject, conversationUserId, entryEvents } from '../mappers/webhook-event.mapper';
import { MetaSettingsService } from './meta-settings.service';

/** Retries of one event (backoff grows to hours); past that an operator looks at the job. */
const EVENT_ATTEMPTS = 12;

/**
 * Routes each entry of a stored delivery to its organization (by Page id / Instagram account
 * id) and adds, in one transaction, one job per conversation holding its events in order. The
 * queue is per (account, person), so one conversation's events apply one at a time, in order,
 * while other conversations run in parallel.
 */
@Injectable()
export class WebhookRouterService {
  private readonly logger = new Logger('MetaWebhook');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly settings: MetaSettingsService,
  ) {}

  async fanOut({ body, receivedAt }: WebhookIngestPayload): Promise<void> {
    const channel = channelOfObject(body.object);
    if (!channel) return;
    // Grouped by conversation (Map keeps first-seen order; each group keeps Meta's order).
    const byConversation = new Map<string, InboundEventsPayload>();
    // A batch often has several entries for one account: look each account up once.
    const routes = new Map<string, Promise<string | null>>();
    for (const entry of body.entry) {
      const accountId = entry.id === undefined || entry.id === null ? '' : String(entry.id);
      if (!routes.has(accountId)) routes.set(accountId, this.route(channel, accountId));
      const organizationId = await routes.get(accountId)!;
      if (!organizationId) {
        this.logger.warn(`ignored a ${body.object} entry for unknown account "${accountId}"`);
        continue;
      }
      for (const { event, standby } of entryEvents(entry)) {
        const queue = `meta:${accountId}:${conversationUserId(event, accountId) ?? 'unknown'}`;
        const group = byConversation.get(queue) ?? { events: [] };
        group.events.push({ organizationId, channel, accountId, standby, event, receivedAt });
        byConversation.set(queue, group);
      }
    }
    const jobs = [...byConversation].map(([queue, payload]) => ({ name: INBOUND_EVENTS_JOB, payload, options: { queue, maxAttempts: EVENT_ATTEMPTS } }));
    await this.dataSource.transaction((manager) => this.jobs.addMany(jobs, manager));
  }

  private async route(channel: MessageChannel, accountId: string): Promise<string | null> {
    if (!accountId) return null;
    const row =
      channel === MessageChannel.FacebookMessenger
        ? await this.settings.byPageId(accountId)
        : await this.settings.byInstagramAccountId(accountId);
    return row?.organizationId ?? null;
  }
}
