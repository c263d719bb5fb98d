import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { PgListener } from '../database/pg-listener';
import { RealtimeGateway } from './realtime.gateway';
import type { RealtimeEventName, RealtimeEventSource } from './realtime.events';

/** One socket event for one organization's sockets. */
export interface RealtimeEmission {
  organizationId: string;
  event: RealtimeEventName;
  payload: unknown;
  source: RealtimeEventSource;
}

/**
 * Writes committed with the NOTIFY that tells the other instances of a batch: more entries of its
 * WITH (data-modifying statements, `name AS (…)`, comma-separated), parameters numbered from $3.
 */
export interface WithTheNotify {
  ctes: string;
  params: unknown[];
}

export const REALTIME_CHANNEL = 'meta_inbox_realtime';
/** UTF-16 units per NOTIFY part: at most 3 bytes each in UTF-8, under Postgres' 8000-byte payload limit with the header. */
const PART_LENGTH = 2400;

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
 * Socket events to every instance's sockets, a batch at a time: this instance's sockets get them
 * at once, and the other instances through NOTIFY — one statement per batch, split into parts
 * under Postgres' payload limit (the notifications of one transaction arrive together and in
 * order), where socket.io's Postgres adapter would send a NOTIFY per event.
 */
@Injectable()
export class RealtimeBus implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RealtimeBus');
  private readonly instanceId = randomUUID();
  private readonly pending = new Map<string, string[]>();
  private listener?: PgListener;
  /** The other instances are told of each batch after the one before. */
  private telling: Promise<void> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly gateway: RealtimeGateway,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.listener = new PgListener({
      databaseUrl: this.config.databaseUrl!,
      channel: REALTIME_CHANNEL,
      applicationName: 'meta-inbox-realtime',
      onNotification: (payload) => this.received(payload),
      // Parts of a batch cut off by the loss will never complete.
      onLost: () => this.pending.clear(),
      warn: (message) => this.logger.warn(message),
    });
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.telling;
    await this.listener?.stop();
  }

  /**
   * Emits here at once, then tells the other instances; the promise settles once they were told.
   * Batches reach the others in the order they were published, one NOTIFY statement at a time,
   * which also commits `withIt` (the relay marks the batch's rows announced with it). A lost
   * NOTIFY (the database away) loses only their copies, and `withIt`.
   */
  publish(emissions: RealtimeEmission[], withIt?: WithTheNotify): Promise<void> {
    if (emissions.length === 0 && !withIt) return Promise.resolve();
    if (emissions.length > 0) this.emitHere(emissions);
    const payloads = emissions.length > 0 ? notifyPayloads(this.instanceId, randomUUID(), emissions) : [];
    this.telling = this.telling.then(() => this.tellOthers(payloads, withIt));
    return this.telling;
  }

  private async tellOthers(payloads: string[], withIt: WithTheNotify | undefined): Promise<void> {
    try {
      await this.dataSource.query(
        `WITH told AS MATERIALIZED (SELECT pg_notify($1, part) FROM unnest($2::text[]) WITH ORDINALITY AS p(part, n) ORDER BY n)${withIt ? `, ${withIt.ctes}` : ''}
         SELECT count(*) FROM told`,
        [REALTIME_CHANNEL, payloads, ...(withIt?.params ?? [])],
      );
    } catch (error) {
      this.logger.warn(`socket events not sent to other instances${withIt ? ' (nor what goes with them)' : ''}: ${(error as Error).message}`);
    }
  }

  private emitHere(emissions: RealtimeEmission[]): void {
    this.gateway.emitTogether(() => {
      for (const { organizationId, event, payload, source } of emissions) {
        try {
          this.gateway.emitLocal(organizationId, event, payload as never, source);
        } catch (error) {
          this.logger.warn(`socket emit failed: ${(error as Error).message}`);
        }
      }
    });
  }

  private received(payload: string | undefined): void {
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

/** The NOTIFY payloads of one batch: its JSON in parts, each wrapped with the batch's id and its place. */
export function notifyPayloads(from: string, batch: string, emissions: RealtimeEmission[]): string[] {
  return split(JSON.stringify(emissions)).map((data, i, all) => JSON.stringify({ from, batch, n: all.length, i, data } satisfies Part));
}

/** `text` in parts of at most PART_LENGTH units, never splitting a surrogate pair. */
export function split(text: string): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + PART_LENGTH, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}
