import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { assertUnreachable } from '../../common/assert-unreachable';
import type { OutboxEntry } from '../../events/domain-event.types';
import { DomainEvents } from '../../events/domain-events.service';
import { InboundChangesService } from './inbound-changes.service';
import { InboundEffects } from './inbound-effects';
import type { ConversationItem, InboundItem, InboundScope } from './inbound-item';
import { ConversationUnit, InboundMessagesService } from './inbound-messages.service';
import { InboundReceiptsService } from './inbound-receipts.service';
import { InboundRecorderService } from './inbound-recorder.service';

/** Postgres' SQLSTATE class 22 (data exception): a value no retry will make acceptable. */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

function isConversationItem(item: InboundItem): item is ConversationItem {
  return item.type === 'message' || item.type === 'postback' || item.type === 'referral';
}

/**
 * The one way inbound items reach the database, whatever their channel: `apply` takes each item
 * in its own transaction, `applyTogether` many conversations' items in the caller's; either way
 * what they changed is recorded in the outbox in the same transaction. Items of one conversation
 * must be handed over in the channel's order, one call at a time.
 */
@Injectable()
export class IngestService {
  private readonly logger = new Logger('Ingest');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messages: InboundMessagesService,
    private readonly receipts: InboundReceiptsService,
    private readonly changes: InboundChangesService,
    private readonly recorder: InboundRecorderService,
    private readonly events: DomainEvents,
  ) {}

  async apply(scope: InboundScope, items: InboundItem[]): Promise<void> {
    for (const item of items) await this.applyOne(scope, item);
  }

  /**
   * Many conversations' items in the caller's transaction, in the order given: what they change
   * is the same as `apply` for each in turn. Each run of messages is stored set-based (one
   * statement resolves every sender, one stores every message), and every organization's outbox
   * entries are recorded in one statement at the end. Any error (also an item the database
   * refuses) fails the whole transaction; the caller then applies the items with `apply`, which
   * passes over an item that cannot be stored.
   */
  async applyTogether(manager: EntityManager, units: { scope: InboundScope; items: InboundItem[] }[]): Promise<void> {
    const entries = new Map<string, OutboxEntry[]>();
    const recorded = async ({ scope, effects }: { scope: InboundScope; effects: InboundEffects }) => {
      const list = entries.get(scope.organizationId) ?? [];
      list.push(...(await this.recorder.entries(manager, scope.organizationId, effects)));
      entries.set(scope.organizationId, list);
    };
    let run: ConversationUnit[] = [];
    const applyRun = async () => {
      await this.messages.applyMany(run, manager);
      for (const unit of run) await recorded(unit);
      run = [];
    };
    for (const { scope, items } of units) {
      for (const item of items) {
        const effects = new InboundEffects();
        if (isConversationItem(item)) {
          run.push({ scope, item, effects });
          continue;
        }
        await applyRun();
        await this.dispatch(scope, item, manager, effects);
        await recorded({ scope, effects });
      }
    }
    await applyRun();
    await this.events.recordForEach(manager, [...entries].map(([organizationId, list]) => ({ organizationId, entries: list })));
  }

  private async applyOne(scope: InboundScope, item: InboundItem): Promise<void> {
    const effects = new InboundEffects();
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.dispatch(scope, item, manager, effects);
        await this.recorder.record(manager, scope.organizationId, effects);
      });
    } catch (error) {
      // An item the database refuses as data will be refused on every retry, and would hold
      // back every later item of its conversation: it is logged and passed over. Anything
      // else (the database away, a deadlock) fails the caller's job, which retries it.
      if (!isDataException(error)) throw error;
      this.logger.error(`skipped a ${scope.channel} ${item.type} item that cannot be stored: ${(error as Error).message}`);
    }
  }

  private dispatch(scope: InboundScope, item: InboundItem, manager: EntityManager, effects: InboundEffects): Promise<void> {
    switch (item.type) {
      case 'message':
      case 'postback':
      case 'referral':
        return this.messages.apply(scope, item, manager, effects);
      case 'delivery':
      case 'read':
        return this.receipts.apply(scope, item, manager, effects);
      case 'reaction':
      case 'edit':
      case 'unsend':
        return this.changes.apply(scope, item, manager, effects);
      default:
        return assertUnreachable(item);
    }
  }
}
