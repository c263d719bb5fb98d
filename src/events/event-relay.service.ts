import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { PgListener } from '../database/pg-listener';
import { RealtimeBus, RealtimeEmission as SocketEmission } from '../realtime/realtime-bus.service';
import type { RealtimeEventSource } from '../realtime/realtime.events';
import type { DomainEventEnvelope, DomainEventType, RealtimeEmission } from './domain-event.types';
import { DOMAIN_EVENTS_CHANNEL } from './domain-events.service';

/** A log event as the relay hands it to fan-outs: numbered, in the envelope integrators get. */
export type RelayedEvent = DomainEventEnvelope;

/**
 * Work done for every batch of newly numbered log events, in the transaction that numbers them
 * (integrator webhooks add their delivery rows and jobs here), so it happens exactly once.
 */
export type RelayFanOut = (manager: EntityManager, events: RelayedEvent[]) => Promise<void>;

interface ClaimedRow {
  id: string;
  position: string;
  organization_id: string;
  type: DomainEventType | null;
  data: { object: unknown } | null;
  realtime: RealtimeEmission[];
  created_at: Date;
  last_sequence: string | null;
  last_event_id: string | null;
  last_event_type: string | null;
}

interface Announcement {
  organizationId: string;
  realtime: RealtimeEmission[];
  object: unknown;
  source: RealtimeEventSource;
}

const BATCH_SIZE = 500;
/** How often the relay looks without being woken (a missed NOTIFY, a predecessor's leftovers). */
const SWEEP_INTERVAL_MS = 1000;
/** Relayed rows not announced after this long were left by a crash between the two steps. */
const ANNOUNCE_GRACE_SECONDS = 10;
const PRUNE_INTERVAL_MS = 3600_000;

/**
 * Takes committed outbox rows to the world: numbers each organization's log events (the
 * `sequence` only grows, in commit order of the numbering), runs the fan-outs in the same
 * transaction, then emits the socket events and marks the rows announced.
 *
 * Woken by the NOTIFY of every recording commit, and sweeps every second, so rows committed just
 * before a crash are relayed by the next instance to look. Any number of instances may relay:
 * rows are claimed with SKIP LOCKED and the per-organization counter row serializes numbering.
 */
@Injectable()
export class EventRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('EventRelay');
  private readonly fanOuts: RelayFanOut[] = [];
  private listener?: PgListener;
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  /** The timer's sweep also looks for rows a dead relay numbered but never announced. */
  private leftoversDue = true;
  /** Marking relayed batches announced, one after another. */
  private announcing: Promise<void> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: RealtimeBus,
    private readonly config: AppConfig,
  ) {}

  /** Registers work for every batch of numbered log events (call from `onModuleInit`). */
  addFanOut(fanOut: RelayFanOut): void {
    this.fanOuts.push(fanOut);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Woken by every recording commit; a lost connection is covered by the sweep.
    this.listener = new PgListener({
      databaseUrl: this.config.databaseUrl!,
      channel: DOMAIN_EVENTS_CHANNEL,
      applicationName: 'meta-inbox-event-relay',
      onNotification: () => this.wake(),
      warn: (message) => this.logger.warn(message),
    });
    await this.listener.start();
    this.timers.push(
      setInterval(() => {
        this.leftoversDue = true;
        this.wake();
      }, SWEEP_INTERVAL_MS),
    );
    this.timers.push(setInterval(() => void this.prune(), PRUNE_INTERVAL_MS));
    this.wake();
    void this.prune();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    await this.running;
    await this.announcing;
    await this.listener?.stop();
  }

  /** Relays everything committed so far; resolves when nothing is left (tests, shutdown). */
  async drain(): Promise<void> {
    this.wake();
    while (this.running) await this.running;
    await this.announcing;
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      if (this.leftoversDue) {
        this.leftoversDue = false;
        await this.announceLeftovers();
      }
      while (!this.stopped && (await this.relayBatch()) === BATCH_SIZE);
    } catch (error) {
      if (!this.stopped) this.logger.warn(`relay failed, retrying: ${(error as Error).message}`);
    }
  }

  /** One batch: number, fan out and commit; then emit and mark announced. Returns its size. */
  private async relayBatch(): Promise<number> {
    const announcements = await this.dataSource.transaction(async (manager) => {
      const claimed = await this.claim(manager);
      if (claimed.length === 0) return [];
      const { numbered, announcements, counters } = number(claimed);
      await manager.query(
        `WITH marked AS (
           UPDATE domain_events e SET relayed_at = now(), sequence = n.sequence
           FROM unnest($1::uuid[], $2::bigint[]) AS n(id, sequence) WHERE e.id = n.id
           RETURNING 1
         ), counted AS (
           INSERT INTO domain_event_sequences (organization_id, last_sequence, last_event_id, last_event_type)
           SELECT * FROM unnest($3::uuid[], $4::bigint[], $5::uuid[], $6::text[])
           ON CONFLICT (organization_id) DO UPDATE SET last_sequence = EXCLUDED.last_sequence,
             last_event_id = EXCLUDED.last_event_id, last_event_type = EXCLUDED.last_event_type
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM marked) AS marked, (SELECT count(*) FROM counted) AS counted`,
        [
          claimed.map((row) => row.id),
          claimed.map((row) => numbered.get(row.id)?.sequence ?? null),
          counters.map((c) => c.organizationId),
          counters.map((c) => c.sequence),
          counters.map((c) => c.id),
          counters.map((c) => c.type),
        ],
      );
      const events = [...numbered.values()];
      for (const fanOut of this.fanOuts) if (events.length > 0) await fanOut(manager, events);
      return announcements;
    });
    if (announcements.length === 0) return 0;
    // The sockets here get the batch now. Telling the other instances and marking the rows
    // announced follow in the background, batch after batch, so the next batch need not wait.
    void this.emit(announcements);
    const ids = announcements.map((a) => a.rowId);
    this.announcing = this.announcing
      .then(() => this.markAnnounced(ids))
      .catch((error: Error) => this.logger.warn(`marking events announced failed (a later sweep announces them again): ${error.message}`));
    return announcements.length;
  }

  /** The oldest unrelayed rows, with their organizations' counters locked for numbering. */
  private claim(manager: EntityManager): Promise<ClaimedRow[]> {
    return manager.query(
      `WITH batch AS (
         SELECT id, position, organization_id, type, data, realtime, created_at FROM domain_events
         WHERE relayed_at IS NULL ORDER BY position LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED
       ), counters AS (
         SELECT * FROM domain_event_sequences WHERE organization_id IN (SELECT organization_id FROM batch) FOR UPDATE
       )
       SELECT b.*, c.last_sequence, c.last_event_id, c.last_event_type
       FROM batch b LEFT JOIN counters c USING (organization_id) ORDER BY b.position`,
    );
  }

  private emit(announcements: Announcement[]): Promise<void> {
    const emissions: SocketEmission[] = announcements.flatMap(({ organizationId, realtime, object, source }) =>
      realtime.map((emission) => ({ organizationId, event: emission.event, payload: emission.payload ?? object, source })),
    );
    return this.bus.publish(emissions);
  }

  /** Socket-only rows have done their work and go; log events stay for catch-up and webhooks. */
  private async markAnnounced(ids: string[]): Promise<void> {
    await this.dataSource.query(
      `WITH gone AS (DELETE FROM domain_events WHERE id = ANY($1::uuid[]) AND type IS NULL RETURNING 1)
       UPDATE domain_events SET announced_at = now(), realtime = '[]' WHERE id = ANY($1::uuid[]) AND type IS NOT NULL`,
      [ids],
    );
  }

  /**
   * Rows relayed but never announced: the instance that relayed them died in between. Each is
   * announced naming the latest log event numbered before its batch (a safe place to resume).
   */
  private async announceLeftovers(): Promise<void> {
    const result: unknown = await this.dataSource.query(
      `WITH stale AS (
         SELECT id FROM domain_events
         WHERE announced_at IS NULL AND relayed_at < now() - interval '${ANNOUNCE_GRACE_SECONDS} seconds'
         ORDER BY position LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED
       )
       UPDATE domain_events e SET announced_at = now() FROM stale WHERE e.id = stale.id
       RETURNING e.*, (SELECT row_to_json(p) FROM (
         SELECT id, sequence, type FROM domain_events p
         WHERE p.organization_id = e.organization_id AND p.sequence IS NOT NULL AND p.relayed_at < e.relayed_at
         ORDER BY p.sequence DESC LIMIT 1) p) AS before`,
    );
    // An UPDATE through `query` answers [rows, affectedCount].
    const rows = (result as [(ClaimedRow & { sequence: string | null })[], number])[0];
    if (rows.length === 0) return;
    rows.sort((a, b) => Number(a.position) - Number(b.position));
    this.logger.log(`announcing ${rows.length} event(s) relayed but not announced before a restart`);
    await this.emit(
      rows.map((row) => {
        const before = (row as unknown as { before: { id: string; sequence: string; type: string } | null }).before;
        const source: RealtimeEventSource =
          row.type !== null
            ? { id: row.id, sequence: Number(row.sequence), type: row.type }
            : { id: before?.id ?? null, sequence: before ? Number(before.sequence) : 0, type: before?.type ?? null };
        return { organizationId: row.organization_id, realtime: row.realtime, object: row.data?.object, source };
      }),
    );
    await this.markAnnounced(rows.map((row) => row.id));
  }

  private async prune(): Promise<void> {
    try {
      await this.dataSource.query(
        `DELETE FROM domain_events WHERE created_at < now() - make_interval(days => $1) AND announced_at IS NOT NULL`,
        [this.config.eventsRetentionDays],
      );
    } catch (error) {
      this.logger.warn(`pruning old events failed: ${(error as Error).message}`);
    }
  }
}

/**
 * Numbers the claimed log events per organization after their counters, and names for each
 * socket-only row the organization's latest log event before it.
 */
function number(claimed: ClaimedRow[]): {
  numbered: Map<string, RelayedEvent>;
  announcements: (Announcement & { rowId: string })[];
  counters: { organizationId: string; sequence: number; id: string; type: string }[];
} {
  const latest = new Map<string, RealtimeEventSource>();
  const numbered = new Map<string, RelayedEvent>();
  const announcements: (Announcement & { rowId: string })[] = [];
  for (const row of claimed) {
    const before = latest.get(row.organization_id) ?? {
      id: row.last_event_id,
      sequence: row.last_sequence === null ? 0 : Number(row.last_sequence),
      type: row.last_event_type,
    };
    let source = before;
    if (row.type !== null) {
      source = { id: row.id, sequence: before.sequence + 1, type: row.type };
      numbered.set(row.id, {
        id: row.id,
        sequence: source.sequence,
        type: row.type,
        createdAt: new Date(row.created_at).toISOString(),
        organizationId: row.organization_id,
        data: row.data as RelayedEvent['data'],
      });
    }
    latest.set(row.organization_id, source);
    announcements.push({ rowId: row.id, organizationId: row.organization_id, realtime: row.realtime, object: row.data?.object, source });
  }
  const counters = [...latest.entries()]
    .filter(([, source]) => source.id !== null && source.type !== null)
    .map(([organizationId, source]) => ({ organizationId, sequence: source.sequence, id: source.id!, type: source.type! }));
  return { numbered, announcements, counters };
}
