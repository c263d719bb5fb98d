import { Injectable, Logger } from '@nestjs/common';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import type { InboundItem } from '../../../messaging/ingest/inbound-item';
import { IngestService } from '../../../messaging/ingest/ingest.service';
import type { ConversationEvents } from '../mappers/webhook-delivery';
import { mapMessagingEvent } from '../mappers/webhook-event.mapper';
import { MetaSettingsService } from './meta-settings.service';

/**
 * A conversation's events from one delivery: routed to the organization that connected the
 * Page / Instagram account, mapped to inbound items, and handed to the ingest in Meta's order.
 */
@Injectable()
export class InboundEventService {
  private readonly logger = new Logger('InboundEvents');

  constructor(
    private readonly ingest: IngestService,
    private readonly coreConf: CoreConfService,
    private readonly settings: MetaSettingsService,
  ) {}

  async applyAll({ channel, accountId, receivedAt, events }: ConversationEvents): Promise<void> {
    // Never route by a missing id (a lookup by `undefined` would match any row): such a job
    // fails and stays in the queue for an operator.
    if (typeof accountId !== 'string' || accountId === '' || !Array.isArray(events)) throw new Error('inbound events job without an account id or events');
    const organizationId = await this.settings.organizationOf(channel, accountId);
    if (!organizationId) {
      this.logger.warn(`ignored ${events.length} ${channel} event(s) for unknown account "${accountId}"`);
      return;
    }
    const items: InboundItem[] = [];
    for (const { event: raw } of events) {
      const event = mapMessagingEvent(raw, accountId, receivedAt);
      if (event.type === 'ignored') {
        this.logger.log(`ignored a ${channel} event: ${event.reason}`);
        continue;
      }
      if (event.type === 'message' && (await this.isOurOwnSend(event.from, event.appId))) continue;
      items.push(event);
    }
    await this.ingest.apply({ organizationId, channel, accountId }, items);
  }

  /**
   * An echo carrying our app id is a message this service sent: its record exists from the
   * moment it was queued, and the send job owns it, so the echo must not make a second one.
   */
  private async isOurOwnSend(from: string, appId: string | null): Promise<boolean> {
    if (from !== 'page' || !appId) return false;
    const app = await this.coreConf.metaApp();
    return app?.appId === appId;
  }
}
