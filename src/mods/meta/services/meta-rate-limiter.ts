import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';

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
 */
@Injectable()
export class MetaRateLimiter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Resolves when this call may go. */
  async acquire(pageId: string, lane: SendLane): Promise<void> {
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
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
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
