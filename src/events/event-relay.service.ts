import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CoalescedRuns } from '../common/coalesced-runs';
import { AppConfig } from '../config/app-config';
import { PgListener } from '../database/pg-listener';
import { isStatementRefusal } from '../database/pool-errors';
import { RealtimeBus, RealtimeEmission } from '../realtime/realtime-bus.service';
import { DOMAIN_EVENTS_CHANNEL } from './domain-events.service';

/**
 * Work done for every batch of newly numbered log events in the statement that numbers them
 * (integrator webhooks add their delivery rows here), so it happens exactly once.
 */
export interface RelayFanOut {
  /**
   * Common table expressions for the numbering statement. They read the batch's log events from
   * the one named `events` (`id`, `organization_id`, `type`), and the last of them is named `name`
   * and answers one row with a count `n`. `param(value)` adds a parameter and answers its placeholder.
   */
  sql(events: string, name: string, param: (value: unknown) => string): string;
  /** Once the numbering committed, with the count its expressions answered. */
  committed(count: number): void;
}

/** What the numbering statement answers: how many rows it relayed, their socket events in order, and each fan-out's count. */
interface RelayedBatch {
  relayed: string;
  emissions: RealtimeEmission[];
  [fanOut: `fan_out_${number}`]: string | null;
}

const BATCH_SIZE = 500;
/** How often the relay looks without being woken (a missed NOTIFY, rows a crashed instance committed). */
const SWEEP_INTERVAL_MS = 1000;
const PRUNE_INTERVAL_MS = 3600_000;

/**
 * Takes committed outbox rows to the world: numbers each organization's log events (the
 * `sequence` only grows, in commit order of the numbering), runs the fan-outs and tells the other
 * instances' sockets in the same statement, then emits the socket events here.
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
  private readonly runs = new CoalescedRuns(() => this.loop());
  private stopped = false;
  /** The numbering statement, made once every fan-out is registered. */
  private statement?: { sql: string; params: unknown[] };
  /** This instance's sockets were made to resume since the last batch relayed here. */
  private socketsResumed = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: RealtimeBus,
    private readonly config: AppConfig,
  ) {}

  /** Registers work for every batch of numbered log events (call from `onModuleInit`, before the first batch). */
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
    this.timers.push(setInterval(() => this.wake(), SWEEP_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.prune(), PRUNE_INTERVAL_MS));
    this.wake();
    void this.prune();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    await this.runs.idle();
    await this.listener?.stop();
  }

  /** Relays everything committed so far; resolves when nothing is left (tests, shutdown). */
  async drain(): Promise<void> {
    this.wake();
    await this.runs.idle();
  }

  private wake(): void {
    if (!this.stopped) this.runs.request();
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped && (await this.relayBatch()) === BATCH_SIZE);
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(`relay failed, retrying: ${(error as Error).message}`);
      // No answer (the connection went, or the server): the batch may have committed, telling the
      // other instances but not this one's sockets, so they resume from the log (once until a
      // batch is relayed here again, not at every sweep of an outage).
      if (!isStatementRefusal(error) && !this.socketsResumed) {
        this.socketsResumed = true;
        this.bus.resumeSocketsHere('a relayed batch may not have reached them');
      }
    }
  }

  /** One batch: numbered, fanned out and told to the other instances in one statement (its own transaction); then emitted here. Returns its size. */
  private async relayBatch(): Promise<number> {
    this.statement ??= numberingStatement(this.fanOuts, this.bus);
    const [batch]: RelayedBatch[] = await this.dataSource.query(this.statement.sql, this.statement.params);
    this.socketsResumed = false;
    const relayed = Number(batch.relayed);
    if (relayed === 0) return 0;
    this.fanOuts.forEach((fanOut, i) => fanOut.committed(Number(batch[`fan_out_${i}`] ?? 0)));
    // The same events the statement told the other instances of.
    this.bus.emitHere(batch.emissions);
    return relayed;
  }

  private async prune(): Promise<void> {
    try {
      await this.dataSource.query(
        `DELETE FROM domain_events WHERE created_at < now() - make_interval(days => $1) AND relayed_at IS NOT NULL`,
        [this.config.eventsRetentionDays],
      );
    } catch (error) {
      this.logger.warn(`pruning old events failed: ${(error as Error).message}`);
    }
  }
}

/**
 * The numbering statement: the oldest unrelayed rows (SKIP LOCKED, so relays share the work),
 * their organizations' counters locked, each log event numbered after its organization's last
 * (the `sequence` only grows, in commit order of the numbering), every socket-only row given the
 * latest log event before it as its place, the counters moved on, the fan-outs run, and the
 * batch's socket events told to the other instances: all of it one statement, so one round trip
 * and one commit, all or nothing. Once relayed, a socket-only row has done its work and goes; a
 * log event stays for catch-up and webhooks, without its socket part.
 */
function numberingStatement(fanOuts: RelayFanOut[], bus: RealtimeBus): { sql: string; params: unknown[] } {
  const params: unknown[] = [BATCH_SIZE];
  const param = (value: unknown) => `$${params.push(value)}`;
  const fanOutCtes = fanOuts.map((fanOut, i) => `, ${fanOut.sql('events', `fan_out_${i}`, param)}`).join('');
  const fanOutCounts = fanOuts.map((_, i) => `, (SELECT n FROM fan_out_${i}) AS fan_out_${i}`).join('');
  const sql = `
    WITH batch AS MATERIALIZED (
      SELECT id, position, organization_id, type, data, realtime FROM domain_events
      WHERE relayed_at IS NULL ORDER BY position LIMIT $1 FOR UPDATE SKIP LOCKED
    ), counters AS MATERIALIZED (
      SELECT organization_id, last_sequence, last_event_id, last_event_type FROM domain_event_sequences
      WHERE organization_id IN (SELECT organization_id FROM batch) FOR UPDATE
    ), ranked AS (
      -- How many log events of its organization the batch has up to this row, this one included.
      SELECT b.*, c.last_sequence, c.last_event_id, c.last_event_type,
             count(b.type) OVER (PARTITION BY b.organization_id ORDER BY b.position ROWS UNBOUNDED PRECEDING) AS logged
      FROM batch b LEFT JOIN counters c USING (organization_id)
    ), numbered AS MATERIALIZED (
      -- A row's place is the log event that opened its run of rows (the same count), or before the batch the counter's.
      SELECT r.id, r.position, r.organization_id, r.type, r.data, r.realtime,
             CASE WHEN r.type IS NOT NULL THEN coalesce(r.last_sequence, 0) + r.logged END AS sequence,
             coalesce(r.last_sequence, 0) + r.logged AS source_sequence,
             CASE WHEN r.logged = 0 THEN r.last_event_id ELSE first_value(r.id) OVER run END AS source_id,
             CASE WHEN r.logged = 0 THEN r.last_event_type ELSE first_value(r.type) OVER run END AS source_type
      FROM ranked r
      WINDOW run AS (PARTITION BY r.organization_id, r.logged ORDER BY r.position)
    ), events AS (
      SELECT id, organization_id, type FROM numbered WHERE type IS NOT NULL
    ), marked AS (
      UPDATE domain_events e SET relayed_at = now(), announced_at = now(), sequence = n.sequence, realtime = '[]'
      FROM numbered n WHERE e.id = n.id AND n.type IS NOT NULL
      RETURNING 1
    ), gone AS (
      -- By id from an array: a join could be planned as a scan of the whole log.
      DELETE FROM domain_events WHERE id = ANY (ARRAY(SELECT id FROM numbered WHERE type IS NULL))
      RETURNING 1
    ), counted AS (
      INSERT INTO domain_event_sequences (organization_id, last_sequence, last_event_id, last_event_type)
      SELECT DISTINCT ON (organization_id) organization_id, sequence, id, type FROM numbered WHERE type IS NOT NULL
      ORDER BY organization_id, position DESC
      ON CONFLICT (organization_id) DO UPDATE SET last_sequence = EXCLUDED.last_sequence,
        last_event_id = EXCLUDED.last_event_id, last_event_type = EXCLUDED.last_event_type
      RETURNING 1
    ), emissions AS (
      -- The socket events as \`RealtimeEmission\`s, in order; one without a payload of its own carries the log event's object.
      SELECT json_build_object('organizationId', n.organization_id, 'event', r.value->>'event',
               'payload', CASE WHEN r.value->'payload' IS NULL OR r.value->'payload' = 'null'::jsonb THEN n.data->'object' ELSE r.value->'payload' END,
               'source', json_build_object('id', n.source_id, 'sequence', n.source_sequence, 'type', n.source_type)) AS emission,
             row_number() OVER (ORDER BY n.position, r.k) AS k
      FROM numbered n, jsonb_array_elements(n.realtime) WITH ORDINALITY AS r(value, k)
    ), ${bus.tellingSql('emissions')}${fanOutCtes}
    SELECT count(*) AS relayed, (SELECT coalesce(json_agg(emission ORDER BY k), '[]') FROM emissions) AS emissions,
           (SELECT count(*) FROM told) AS told${fanOutCounts}
    FROM numbered`;
  return { sql, params };
}
