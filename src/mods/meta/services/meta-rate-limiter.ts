import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { ChannelBusyError } from '../../../messaging/channels/channel-sender';

/** Meta's two per-Page Send API budgets. */
export enum SendLane {
  /** Text, links, images, files, reactions, sender actions: 300 calls/s. */
  Standard = 'standard',
  /** Audio and video: 10 calls/s. */
  Media = 'media',
}

/** After a rate-limit answer (4, 32, 613) the Page's calls are spaced this much wider… */
export const SLOWDOWN_FACTOR = 10;
/** …for this long, and nothing goes out for the first second. */
export const SLOWDOWN_SECONDS = 60;

/** A queued call whose slot is at most this far off waits for it on its worker… */
export const MAX_SLOT_WAIT_MS = 50;
/** …a later one is put back and woken this much before its slot (the time to pick the job up)… */
const WAKE_LEAD_MS = 20;
/**
 * …and goes on the slot it reserved. A turn found more than this late (workers were all busy)
 * is given up for a new slot: a call that leaves long after its slot could land in the same
 * second as the calls of the slots after it.
 */
const TURN_LATE_MS = 100;

export interface AcquireOptions {
  /** A queued call: rather than wait long on a worker, throw `ChannelBusyError` with its turn. */
  queued?: boolean;
  /** The turn a previous `ChannelBusyError` handed out for this call. */
  turn?: string | null;
}

/**
 * The rate we pace at for a limit of `limit` calls/s. Meta counts calls as they arrive, and a
 * call leaves a few milliseconds after its slot (timers, network), so two neighbouring calls can
 * land closer than their slots were; pacing 10 % (and at least one call) below the limit keeps
 * every second of arrivals within it.
 */
export function pacedRate(limit: number): number {
  const headroom = Math.max(1, Math.ceil(limit * 0.1));
  return Math.max(limit - headroom, limit / 2);
}

/**
 * Spaces Graph calls per Page so no second carries more than the Page's budget, across every
 * worker and instance: each call reserves the next free slot in one atomic statement on a row
 * per (Page, lane) — `slot = max(next_at, now)`, `next_at = slot + 1 s / limit` — then waits
 * until its slot. Postgres' clock is the only clock, so instances never disagree.
 *
 * A queued call does not sleep long on its worker: when its slot is more than MAX_SLOT_WAIT_MS off
 * (the Page is paused after a 613, or many calls are ahead of it) it throws `ChannelBusyError`
 * with a turn naming the reserved slot, the job is put back to that time, and the workers serve
 * other Pages meanwhile. The turn is in this machine's clock (the slot as a wait from now): its
 * only tolerance against another instance's clock is TURN_LATE_MS.
 */
@Injectable()
export class MetaRateLimiter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Resolves when this call may go (or throws `ChannelBusyError` for a queued call whose slot is later). */
  async acquire(pageId: string, lane: SendLane, options: AcquireOptions = {}): Promise<void> {
    const turnAt = slotOfTurn(options.turn, pageId, lane);
    if (turnAt !== null && turnAt >= Date.now() - TURN_LATE_MS) return sleep(turnAt - Date.now());
    const spacingMs = 1000 / this.limit(lane);
    const [row] = await this.dataSource.query(
      `INSERT INTO meta_send_pacing AS p (page_id, lane, slot_at, next_at)
       VALUES ($1, $2, clock_timestamp(), clock_timestamp() + make_interval(secs => $3 / 1000.0))
       ON CONFLICT (page_id, lane) DO UPDATE SET
         slot_at = greatest(p.next_at, clock_timestamp()),
         next_at = greatest(p.next_at, clock_timestamp())
           + make_interval(secs => CASE WHEN p.slow_until > clock_timestamp() THEN $3 * $4 ELSE $3 END / 1000.0)
       RETURNING greatest(0, extract(epoch FROM slot_at - clock_timestamp()) * 1000)::float8 AS wait_ms`,
      [pageId, lane, spacingMs, SLOWDOWN_FACTOR],
    );
    const waitMs = Number(row.wait_ms);
    if (options.queued && waitMs > MAX_SLOT_WAIT_MS) {
      const slotAt = Date.now() + waitMs;
      throw new ChannelBusyError(new Date(slotAt - WAKE_LEAD_MS), turnOf(pageId, lane, slotAt));
    }
    await sleep(waitMs);
  }

  /** Meta said the Page (or app) is over its limit: pause it briefly, then go slower for a while. */
  async slowDown(pageId: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO meta_send_pacing AS p (page_id, lane, slot_at, next_at, slow_until)
       SELECT $1, lane, clock_timestamp(), clock_timestamp() + interval '1 second', clock_timestamp() + make_interval(secs => $2)
       FROM unnest($3::text[]) AS lane
       ON CONFLICT (page_id, lane) DO UPDATE SET
         next_at = greatest(p.next_at, EXCLUDED.next_at),
         slow_until = EXCLUDED.slow_until`,
      [pageId, SLOWDOWN_SECONDS, Object.values(SendLane)],
    );
  }

  private limit(lane: SendLane): number {
    return pacedRate(lane === SendLane.Media ? this.config.metaPageMediaSendsPerSecond : this.config.metaPageSendsPerSecond);
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, Math.ceil(ms))) : Promise.resolve();
}

function turnOf(pageId: string, lane: SendLane, slotAt: number): string {
  return `${lane}:${Math.ceil(slotAt)}:${pageId}`;
}

/** The slot time a turn names, when it is this Page's and lane's. */
export function slotOfTurn(turn: string | null | undefined, pageId: string, lane: SendLane): number | null {
  if (!turn) return null;
  const [turnLane, at, ...page] = turn.split(':');
  const slotAt = Number(at);
  return turnLane === lane && page.join(':') === pageId && Number.isFinite(slotAt) ? slotAt : null;
}
