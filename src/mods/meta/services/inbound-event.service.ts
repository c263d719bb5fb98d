import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import type { InboundItem, InboundScope } from '../../../messaging/ingest/inbound-item';
import { IngestService } from '../../../messaging/ingest/ingest.service';
import type { ConversationEvents } from '../mappers/webhook-delivery';
import { mapMessagingEvent } from '../mappers/webhook-event.mapper';
import { MetaSettingsService, routeKey } from './meta-settings.service';

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

  async applyAll(events: ConversationEvents): Promise<void> {
    checked(events);
    const unit = await this.unitOf(events, await this.settings.organizationsOf([events]));
    if (unit) await this.ingest.apply(unit.scope, unit.items);
  }

  /**
   * Many conversations' events (jobs taken together, in their order) in the caller's
   * transaction; every account is routed in one read.
   */
  async applyTogether(manager: EntityManager, deliveries: ConversationEvents[]): Promise<void> {
    deliveries.forEach(checked);
    const routes = await this.settings.organizationsOf(deliveries, manager);
    const units: { scope: InboundScope; items: InboundItem[] }[] = [];
    for (const events of deliveries) {
      const unit = await this.unitOf(events, routes);
      if (unit) units.push(unit);
    }
    await this.ingest.applyTogether(manager, units);
  }

  /** The organization's scope and the items of one conversation's events; null when no organization has the account. */
  private async unitOf(
    { channel, accountId, receivedAt, events }: ConversationEvents,
    routes: Map<string, string>,
  ): Promise<{ scope: InboundScope; items: InboundItem[] } | null> {
    const organizationId = routes.get(routeKey(channel, accountId));
    if (!organizationId) {
      this.logger.warn(`ignored ${events.length} ${channel} event(s) for unknown account "${accountId}"`);
      return null;
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
    return { scope: { organizationId, channel, accountId }, items };
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

/**
 * Never route by a missing id (a lookup by `undefined` would match any row): such a job fails
 * and stays in the queue for an operator.
 */
function checked({ accountId, events }: ConversationEvents): void {
  if (typeof accountId !== 'string' || accountId === '' || !Array.isArray(events)) throw new Error('inbound events job without an account id or events');
}
