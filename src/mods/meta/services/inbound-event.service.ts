import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { assertUnreachable } from '../../../common/assert-unreachable';
import type { InboundEventPayload } from '../jobs/inbound-event.job';
import { mapMessagingEvent } from '../mappers/webhook-event.mapper';
import type { InboundEvent } from '../types/webhook.types';
import { InboundAnnouncerService } from './inbound-announcer.service';
import { InboundChangesService } from './inbound-changes.service';
import { InboundEffects } from './inbound-effects';
import { InboundMessageService } from './inbound-message.service';
import { InboundReceiptsService } from './inbound-receipts.service';
import type { InboundScope } from './inbound-scope';

/** Applies one webhook event in one transaction, then announces what it changed. */
@Injectable()
export class InboundEventService {
  private readonly logger = new Logger('InboundEvents');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messages: InboundMessageService,
    private readonly receipts: InboundReceiptsService,
    private readonly changes: InboundChangesService,
    private readonly announcer: InboundAnnouncerService,
  ) {}

  async process(payload: InboundEventPayload): Promise<void> {
    const event = mapMessagingEvent(payload.event, payload.accountId, payload.receivedAt);
    if (event.type === 'ignored') {
      this.logger.log(`ignored a ${payload.channel} event: ${event.reason}`);
      return;
    }
    const scope: InboundScope = { organizationId: payload.organizationId, channel: payload.channel, accountId: payload.accountId };
    const effects = new InboundEffects();
    await this.dataSource.transaction((manager) => this.dispatch(scope, event, manager, effects));
    await this.announcer.announce(scope.organizationId, effects);
  }

  private dispatch(scope: InboundScope, event: Exclude<InboundEvent, { type: 'ignored' }>, manager: Parameters<InboundMessageService['apply']>[2], effects: InboundEffects): Promise<void> {
    switch (event.type) {
      case 'message':
      case 'postback':
      case 'referral':
        return this.messages.apply(scope, event, manager, effects);
      case 'delivery':
      case 'read':
        return this.receipts.apply(scope, event, manager, effects);
      case 'reaction':
      case 'edit':
      case 'unsend':
        return this.changes.apply(scope, event, manager, effects);
      default:
        return assertUnreachable(event);
    }
  }
}
