import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { PgListener } from '../database/pg-listener';
import { LocalEmission, RealtimeGateway } from './realtime.gateway';
import type { RealtimeEventName, RealtimeEventSource } from './realtime.events';

/** One socket event for one organization's sockets. */
export interface RealtimeEmission {
  organizationId: string;
  event: RealtimeEventName;
  payload: unknown;
  source: RealtimeEventSource;
}

export const REALTIME_CHANNEL = 'meta_inbox_realtime';
/** Every instance's realtime listener is named this, then its instance id. */
const LISTENER_NAME_PREFIX = 'meta-inbox-realtime:';
/**
 * Characters of an event's JSON per NOTIFY part, at most. In the part's JSON a character takes at
 * most 4 bytes (a character of 4 bytes in UTF-8, or an escaped quote or backslash of the event's
 * own JSON: 2), so a part with its header stays under Postgres' 8000-byte payload limit.
 */
const PART_CHARS = 1900;

interface Part {
  /** The publishing instance. */
  from: string;
  /** The batch and how many parts it has: a batch's parts arrive together and in order. */
  batch: string;
  n: number;
  i: number;
  data: string;
}

/**
 * Socket events to every instance's sockets, a batch at a time: the statement that makes a batch
 * tells the other instances of it through NOTIFY (`tellingSql`: in parts under Postgres' payload
 * limit; the notifications of one transaction arrive together and in order, at its commit), and
 * once it committed the instance that ran it emits the batch to its own sockets (`emitHere`).
 * One NOTIFY statement per batch, where socket.io's Postgres adapter would send one per event.
 */
@Injectable()
export class RealtimeBus implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RealtimeBus');
  private readonly instanceId = randomUUID();
  /** How a part this instance told begins (`json_build_object`'s output), to pass over it unread. */
  private readonly ownPartPrefix = `{"from" : "${this.instanceId}"`;
  private readonly pending = new Map<string, string[]>();
  private listener?: PgListener;

  constructor(
    private readonly gateway: RealtimeGateway,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.listener = new PgListener({
      databaseUrl: this.config.databaseUrl!,
      channel: REALTIME_CHANNEL,
      applicationName: `${LISTENER_NAME_PREFIX}${this.instanceId}`,
      onNotification: (payload) => this.received(payload),
      // Parts of a batch cut off by the loss will never complete.
      onLost: () => this.pending.clear(),
      // The batches other instances told meanwhile never reached this instance's sockets.
      onRestored: () => this.resumeSocketsHere('batches other instances told while its listener was away never reached them'),
      warn: (message) => this.logger.warn(message),
    });
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }

  /**
   * WITH entries (`name AS (…)`, comma-separated) that tell the other instances of a batch in the
   * statement that makes it. `emissions` names an earlier entry with a row per socket event:
   * `emission` (json, a `RealtimeEmission`) and `k` (its place in the batch). The batch's JSON
   * array goes an event a part (an event over PART_CHARS in several), so no statement cuts a long
   * text many times over; `told_parts` has the NOTIFY payloads (`i`, `payload`), and `told` sends
   * them in order: the statement must read `told` (a plain WITH entry runs only when read), e.g.
   * `(SELECT count(*) FROM told)`. Nothing is built or sent while no other instance listens (no
   * other realtime listener connected): one instance alone tells nobody.
   */
  tellingSql(emissions: string): string {
    return `told_texts AS MATERIALIZED (
        SELECT k, emission::text AS text FROM ${emissions}
      ), told_placed AS (
        SELECT k, text, c, (sum(c) OVER (ORDER BY k) - c)::int AS first, (sum(c) OVER ())::int AS n
        FROM (SELECT k, text, greatest(1, ceil(length(text) / ${PART_CHARS}.0))::int AS c FROM told_texts) t
      ), told_batch AS MATERIALIZED (
        SELECT gen_random_uuid()::text AS id
      ), told_parts AS (
        SELECT p.first + j AS i, json_build_object('from', '${this.instanceId}', 'batch', b.id, 'n', p.n, 'i', p.first + j, 'data',
          CASE WHEN j > 0 THEN '' WHEN p.first = 0 THEN '[' ELSE ',' END || substr(p.text, j * ${PART_CHARS} + 1, ${PART_CHARS})
            || CASE WHEN p.first + j = p.n - 1 THEN ']' ELSE '' END)::text AS payload
        FROM told_placed p CROSS JOIN told_batch b CROSS JOIN generate_series(0, p.c - 1) AS j
      ), told AS MATERIALIZED (
        SELECT pg_notify('${REALTIME_CHANNEL}', payload) FROM told_parts
        WHERE EXISTS (
          SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND application_name LIKE '${LISTENER_NAME_PREFIX}%'
            AND application_name <> '${LISTENER_NAME_PREFIX}${this.instanceId}'
        )
        ORDER BY i
      )`;
  }

  /** Emits a batch to this instance's sockets (the others are told by its statement). */
  emitHere(emissions: RealtimeEmission[]): void {
    if (emissions.length === 0) return;
    try {
      this.gateway.emitBatch(emissions as LocalEmission[]);
    } catch (error) {
      this.logger.warn(`socket emit failed: ${(error as Error).message}`);
    }
  }

  /**
   * This instance's sockets may have missed a batch (the statement that made it may have
   * committed and its answer was lost, or its listener was away while another instance told
   * one): they reconnect and resume from the event log. `why` goes in the log line.
   */
  resumeSocketsHere(why: string): void {
    const dropped = this.gateway.dropConnections();
    if (dropped > 0) this.logger.warn(`closed ${dropped} socket connection(s) here to make them resume: ${why}`);
  }

  private received(payload: string | undefined): void {
    if (payload?.startsWith(this.ownPartPrefix)) return;
    let part: Part;
    try {
      part = JSON.parse(payload ?? '') as Part;
    } catch {
      return;
    }
    if (part.from === this.instanceId) return;
    const parts = this.pending.get(part.batch) ?? [];
    parts[part.i] = part.data;
    if (parts.filter((p) => p !== undefined).length < part.n) {
      this.pending.set(part.batch, parts);
      return;
    }
    this.pending.delete(part.batch);
    try {
      this.emitHere(JSON.parse(parts.join('')) as RealtimeEmission[]);
    } catch (error) {
      this.logger.warn(`a socket event batch from another instance could not be read: ${(error as Error).message}`);
    }
  }
}
