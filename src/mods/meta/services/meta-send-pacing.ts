import type { DataSource } from 'typeorm';
import type { SendLane } from './meta-rate-limiter';

/** After a rate-limit answer (4, 32, 613) the Page's calls are spaced this much wider… */
export const SLOWDOWN_FACTOR = 10;
/**
 * …for this long after the last such answer. Nothing goes out right after one: for a second at
 * first, and for as long as the Page has been answering them (backing off while Meta keeps
 * refusing), at most MAX_PAUSE_SECONDS.
 */
export const SLOWDOWN_SECONDS = 60;
export const MAX_PAUSE_SECONDS = 60;

/** Slots asked of one (Page, lane) row, `spacingMs` apart. */
export interface SlotsWanted {
  pageId: string;
  lane: SendLane;
  spacingMs: number;
  count: number;
}

/** A row's reservation: its first slot (the database's clock, ms since the epoch) and how far its slots reach. */
export interface RowReservation {
  pageId: string;
  lane: SendLane;
  slotMs: number;
  spanMs: number;
}

/** A time of the database as milliseconds since the epoch, in an answer. */
const epochMs = (time: string) => `(extract(epoch FROM ${time}) * 1000)::float8`;

/**
 * The `meta_send_pacing` rows: one per (Page, lane), that pair's one budget across every
 * instance. A reservation moves the row's `next_at` on by its slots' span (`1 s / limit` each,
 * SLOWDOWN_FACTOR times that while the Page is slowed down), starting no earlier than now, in
 * one atomic statement; a pause moves it past the pause and slows the Page down. Every answer
 * also names the database's time it was made (`nowMs`), for the caller's `DatabaseClock`.
 */
export class MetaSendPacing {
  constructor(private readonly dataSource: DataSource) {}

  /** Reserves each pair's slots, all rows in one statement, taken in one order so two instances' statements never wait on each other in a cycle. */
  async reserve(wanted: SlotsWanted[]): Promise<{ rows: RowReservation[]; nowMs: number }> {
    const rows: { page_id: string; lane: SendLane; slot_ms: number; span_ms: number; now_ms: number }[] = await this.dataSource.query(
      // A new row's slots start now; the span of its slots (next_at - slot_at) is what an existing row moves on by.
      `INSERT INTO meta_send_pacing AS p (page_id, lane, slot_at, next_at)
       SELECT a.page_id, a.lane, a.now, a.now + make_interval(secs => a.spacing * a.n / 1000.0)
       FROM (SELECT *, clock_timestamp() AS now FROM unnest($1::text[], $2::text[], $3::float8[], $4::int[]) AS u(page_id, lane, spacing, n)) a
       ORDER BY a.page_id, a.lane
       ON CONFLICT (page_id, lane) DO UPDATE SET
         slot_at = greatest(p.next_at, clock_timestamp()),
         next_at = greatest(p.next_at, clock_timestamp())
           + (EXCLUDED.next_at - EXCLUDED.slot_at) * CASE WHEN p.slow_until > clock_timestamp() THEN $5::float8 ELSE 1 END
       RETURNING page_id, lane, ${epochMs('slot_at')} AS slot_ms, (extract(epoch FROM next_at - slot_at) * 1000)::float8 AS span_ms,
         ${epochMs('clock_timestamp()')} AS now_ms`,
      [wanted.map((w) => w.pageId), wanted.map((w) => w.lane), wanted.map((w) => w.spacingMs), wanted.map((w) => w.count), SLOWDOWN_FACTOR],
    );
    return {
      rows: rows.map((row) => ({ pageId: row.page_id, lane: row.lane, slotMs: Number(row.slot_ms), spanMs: Number(row.span_ms) })),
      nowMs: Math.max(...rows.map((row) => Number(row.now_ms))),
    };
  }

  /**
   * Meta said the Page (or app) is over its limit: nothing of its lanes goes out for a second at
   * first, for as long as it has been refusing so far while it goes on (at most
   * MAX_PAUSE_SECONDS), then slower for SLOWDOWN_SECONDS. Answers when the pause ends.
   */
  async pause(pageId: string, lanes: SendLane[]): Promise<{ untilMs: number; nowMs: number }> {
    const [row] = await this.dataSource.query(
      `INSERT INTO meta_send_pacing AS p (page_id, lane, slot_at, next_at, slow_until, slow_since)
       SELECT $1, lane, clock_timestamp(), clock_timestamp() + interval '1 second', clock_timestamp() + make_interval(secs => $2), clock_timestamp()
       FROM unnest($3::text[]) AS lane
       ON CONFLICT (page_id, lane) DO UPDATE SET
         slow_since = CASE WHEN p.slow_until > clock_timestamp() THEN coalesce(p.slow_since, clock_timestamp()) ELSE clock_timestamp() END,
         next_at = greatest(p.next_at, clock_timestamp() + least(make_interval(secs => $4), greatest(interval '1 second',
           clock_timestamp() - CASE WHEN p.slow_until > clock_timestamp() THEN coalesce(p.slow_since, clock_timestamp()) ELSE clock_timestamp() END))),
         slow_until = EXCLUDED.slow_until
       RETURNING ${epochMs('next_at')} AS until_ms, ${epochMs('clock_timestamp()')} AS now_ms`,
      [pageId, SLOWDOWN_SECONDS, lanes, MAX_PAUSE_SECONDS],
    );
    return { untilMs: Number(row.until_ms), nowMs: Number(row.now_ms) };
  }
}
