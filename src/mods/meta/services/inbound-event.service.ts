import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { assertUnreachable } from '../../../common/assert-unreachable';
import { MessageChannel } from '../../../messaging/message-channel';
import type { ConversationEvents } from '../mappers/webhook-delivery';
import { mapMessagingEvent } from '../mappers/webhook-event.mapper';
import type { InboundEvent, RawMessagingEvent } from '../types/webhook.types';
import { InboundChangesService } from './inbound-changes.service';
import { InboundEffects } from './inbound-effects';
import { InboundMessageService } from './inbound-message.service';
import { InboundReceiptsService } from './inbound-receipts.service';
import { InboundRecorderService } from './inbound-recorder.service';
import type { InboundScope } from './inbound-scope';
import { MetaSettingsService } from './meta-settings.service';

/** Postgres' SQLSTATE class 22 (data exception): a value no retry will make acceptable. */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * Applies a conversation's events from one delivery: routes them to the organization that
 * connected the Page / Instagram account, then applies each in its own transaction, which also
 * records what it changed in the outbox.
 */
@Injectable()
export class InboundEventService {
  private readonly logger = new Logger('InboundEvents');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messages: InboundMessageService,
    private readonly receipts: InboundReceiptsService,
    private readonly changes: InboundChangesService,
    private readonly recorder: InboundRecorderService,
    private readonly settings: MetaSettingsService,
  ) {}

  async applyAll({ channel, accountId, receivedAt, events }: ConversationEvents): Promise<void> {
    // Never route by a missing id (a lookup by `undefined` would match any row): such a job
    // fails and stays in the queue for an operator.
    if (typeof accountId !== 'string' || accountId === '' || !Array.isArray(events)) throw new Error('inbound events job without an account id or events');
    const organizationId = await this.organizationOf(channel, accountId);
    if (!organizationId) {
      this.logger.warn(`ignored ${events.length} ${channel} event(s) for unknown account "${accountId}"`);
      return;
    }
    const scope: InboundScope = { organizationId, channel, accountId };
    for (const { event } of events) await this.apply(scope, event, receivedAt);
  }

  private async organizationOf(channel: MessageChannel, accountId: string): Promise<string | null> {
    const row =
      channel === MessageChannel.FacebookMessenger ? await this.settings.byPageId(accountId) : await this.settings.byInstagramAccountId(accountId);
    return row?.organizationId ?? null;
  }

  private async apply(scope: InboundScope, raw: RawMessagingEvent, receivedAt: number): Promise<void> {
    const event = mapMessagingEvent(raw, scope.accountId, receivedAt);
    if (event.type === 'ignored') {
      this.logger.log(`ignored a ${scope.channel} event: ${event.reason}`);
      return;
    }
    const effects = new InboundEffects();
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.dispatch(scope, event, manager, effects);
        await this.recorder.record(manager, scope.organizationId, effects);
      });
    } catch (error) {
      // An event the database refuses as data will be refused on every retry, and would hold
      // back every later event of its conversation: it is logged and passed over. Anything
      // else (the database away, a deadlock) fails the job, which retries it.
      if (!isDataException(error)) throw error;
      this.logger.error(`skipped a ${scope.channel} ${event.type} event that cannot be stored: ${(error as Error).message}`);
    }
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
