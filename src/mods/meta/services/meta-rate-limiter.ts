import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/app-config';
import { DatabaseClock } from '../../../database/database-clock';
import { BatchedReads } from '../../../jobs/batched-reads';
import { ChannelBusyError } from '../../../messaging/channels/channel-sender';
import { MetaSendPacing } from './meta-send-pacing';
import { SendDemand } from './send-demand';

/** Meta's two per-Page Send API budgets. */
export enum SendLane {
  /** Text, links, images, files, reactions, sender actions: 300 calls/s. */
  Standard = 'standard',
  /** Audio and video: 10 calls/s. */
  Media = 'media',
}

/** A queued call whose slot is at most this far off waits for it on its worker… */
export const MAX_SLOT_WAIT_MS = 50;
/** …a later one is put back and woken this much before its slot (the time to pick the job up)… */
const WAKE_LEAD_MS = 50;
/**
 * …and goes on the slot it reserved. A turn found more than this late (the workers were all
 * busy) is given up for a new slot, which the call then waits for on its worker: a call that left
 * long after its slot could land in the same second as the calls of the slots after it, and a
 * call put back again and again behind newer ones would starve on a loaded machine. Like
 * LEASE_LATE_MS, it stays well under the pacing's headroom (a tenth of a second's calls, about
 * 111 ms of slots): a call may leave this late and then some (its timer, the event loop, the
 * network), and whatever it adds to a second's count must still fit in that headroom.
 */
const TURN_LATE_MS = 50;
/** Slots reserved in one statement, at most. */
const MAX_BATCH = 25;
/**
 * A reservation also covers the calls this instance can expect for the Page in this much time
 * (as many as came in the last as long): under a steady stream it takes the row once per window,
 * not once per call. A slot no call takes in time is dropped: budget lost, never overspent.
 */
const DEMAND_WINDOW_MS = 50;
/** A leased slot this far in the past is dropped rather than spent late. */
const LEASE_LATE_MS = 50;
/**
 * A call whose timer fired more than this after its slot (a stalled event loop: a busy machine,
 * a long synchronous task) gives the slot up and waits for a new one: it would otherwise leave
 * beside the calls of the slots after it, and a stall longer than the pacing's headroom would put
 * more than the limit into one second. What is left (the batcher's turn, the network) fits in it.
 * A call gives a slot up once only: under a lasting lag it would be late for every slot it took.
 */
const WOKE_LATE_MS = 50;
/** (Page, lane) pairs whose slots are reserved in one statement, at most. */
const MAX_PAIRS_PER_RESERVATION = 100;
/** Past this many (Page, lane) pairs remembered, the long-past ones are forgotten. */
const MAX_REMEMBERED_PAGES = 1000;

/** Slots this instance reserved for one (Page, lane) and has not handed out yet, in order. */
interface Lease {
  slots: number[];
  /** Calls waiting for a slot of this lease right now. */
  waiting: number;
  reserving?: Promise<void>;
}

/** Slots asked of one (Page, lane) row. */
interface SlotsAsked {
  pageId: string;
  lane: SendLane;
  count: number;
}

/** Slots reserved: the first at `slotAt` (the database's clock, ms since the epoch), the others a step apart. */
interface SlotsReserved {
  slotAt: number;
  stepMs: number;
}

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
 * worker and instance: slots are reserved in one atomic statement on a row per (Page, lane) —
 * `first = max(next_at, now)`, `next_at = first + n × 1 s / limit` — and each call waits until
 * its slot. Postgres' clock is the only clock, so instances never disagree; every slot belongs
 * to exactly one call of one instance, and slots are never closer than `1 s / limit`, whichever
 * instance holds them. So the row is the Page's one budget, and no instance can overspend it.
 * Each instance turns the slots into its own clock through a `DatabaseClock` (by the answer it
 * read fastest, not by how late it read this one), so two instances wait for the same moment for
 * the same database time; only slots already past when their answer was read go later (all of
 * the reservation's slots, by as much), never earlier.
 *
 * The row is not updated once per call: an instance reserves as many slots in one statement as
 * it has calls waiting for that Page at that moment, or as it had calls for it in the last
 * DEMAND_WINDOW_MS if more (up to MAX_BATCH, about 90 ms of a 270/s budget), and hands them out
 * in order. A leased slot not taken within LEASE_LATE_MS of its time is dropped unused (that
 * budget is lost, never spent late). The reservations of all Pages asked for while one is in
 * flight go together in the next statement, so sends to several Pages share a round trip.
 *
 * A queued call does not sleep long on its worker: when its slot is more than MAX_SLOT_WAIT_MS off
 * (the Page is paused after a 613, or many calls are ahead of it) it throws `ChannelBusyError`
 * with a turn naming the reserved slot, the job is put back to that time, and the workers serve
 * other Pages meanwhile. The turn and the job's new time name the slot in the database's clock,
 * so whichever instance runs the job next waits for the same moment.
 */
@Injectable()
export class MetaRateLimiter {
  private readonly leases = new Map<string, Lease>();
  /** Turns the database's times into this process's clock (`local()`), where every time below is kept. */
  private readonly clock = new DatabaseClock();
  /** Calls that asked for a slot per (Page, lane), in the current and the previous DEMAND_WINDOW_MS. */
  private readonly demand = new SendDemand(() => this.clock.local(), DEMAND_WINDOW_MS, MAX_REMEMBERED_PAGES);
  /** The last slot this instance reserved per (Page, lane). */
  private readonly lastSlots = new Map<string, number>();
  /** When each Page this instance saw refuse a call for its rate limit may be called again. */
  private readonly pausedUntil = new Map<string, number>();
  /** The Pages' budgets, in PostgreSQL. */
  private readonly pacing: MetaSendPacing;
  /** The reservations of every (Page, lane) that asks while one is in flight go together in the next statement. */
  private readonly reservations = new BatchedReads<SlotsAsked, SlotsReserved>({
    read: (asked) => this.reserveTogether(asked),
    maxItems: MAX_PAIRS_PER_RESERVATION,
  });

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    this.pacing = new MetaSendPacing(dataSource);
  }

  /** Resolves when this call may go (or throws `ChannelBusyError` for a queued call whose slot is later). */
  async acquire(pageId: string, lane: SendLane, options: AcquireOptions = {}): Promise<void> {
    // A turn handed out before the Page was paused is given up for a slot after the pause.
    const given = slotOfTurn(options.turn, pageId, lane);
    const givenAt = given !== null && this.clock.known ? this.clock.toLocal(given) : null;
    const turnAt = givenAt !== null && givenAt >= (this.pausedUntil.get(pageId) ?? -Infinity) ? givenAt : null;
    if (turnAt !== null && turnAt >= this.clock.local() - TURN_LATE_MS && (await this.wokeInTime(turnAt))) return;
    for (let givenUp = 0; ; givenUp++) {
      const slotAt = await this.nextSlot(pageId, lane);
      const waitMs = slotAt - this.clock.local();
      if (options.queued && turnAt === null && waitMs > MAX_SLOT_WAIT_MS) {
        const databaseSlotAt = this.clock.toDatabase(slotAt);
        throw new ChannelBusyError(new Date(databaseSlotAt - WAKE_LEAD_MS), turnOf(pageId, lane, databaseSlotAt));
      }
      if ((await this.wokeInTime(slotAt)) || givenUp > 0) return;
    }
  }

  /** Sleeps until `slotAt`; false when the event loop woke the call more than WOKE_LATE_MS after it. */
  private async wokeInTime(slotAt: number): Promise<boolean> {
    await sleep(slotAt - this.clock.local());
    return this.clock.local() - slotAt <= WOKE_LATE_MS;
  }

  /** The next slot of this instance's lease, reserving more when it is used up. */
  private async nextSlot(pageId: string, lane: SendLane): Promise<number> {
    const key = pairKey(pageId, lane);
    this.demand.note(key);
    let lease = this.leases.get(key);
    if (!lease) this.leases.set(key, (lease = { slots: [], waiting: 0 }));
    lease.waiting += 1;
    try {
      for (;;) {
        const oldest = this.clock.local() - LEASE_LATE_MS;
        while (lease.slots.length > 0 && lease.slots[0] < oldest) lease.slots.shift();
        const slot = lease.slots.shift();
        if (slot !== undefined) return slot;
        // Everyone waiting now shares one statement: the first caller reserves for all of them.
        const current = lease;
        current.reserving ??= this.reserve(pageId, lane, Math.min(MAX_BATCH, Math.max(current.waiting, this.demand.expected(key))), current).finally(
          () => (current.reserving = undefined),
        );
        await current.reserving;
      }
    } finally {
      lease.waiting -= 1;
      if (lease.waiting === 0 && lease.slots.length === 0 && !lease.reserving) this.leases.delete(key);
    }
  }

  private async reserve(pageId: string, lane: SendLane, count: number, lease: Lease): Promise<void> {
    const spacingMs = this.spacingMs(lane);
    const row = (await this.reservations.read({ pageId, lane, count }))!;
    const now = this.clock.local();
    // Slots whose time passed before their answer was read (a busy event loop) all move on by as
    // much, rather than go at once; and never closer than the spacing to this instance's previous
    // reservation (moved on so, or mapped by an offset a faster answer has changed since).
    const key = pairKey(pageId, lane);
    const previous = this.lastSlots.get(key);
    const first = Math.max(this.clock.toLocal(row.slotAt), now, previous === undefined ? -Infinity : previous + spacingMs);
    for (let i = 0; i < count; i++) lease.slots.push(first + i * row.stepMs);
    rememberTime(this.lastSlots, key, first + (count - 1) * row.stepMs, now - 1000);
  }

  /**
   * Reserves the slots asked of each (Page, lane) row, all rows in one statement (taken in one
   * order, so two instances' statements never wait on each other in a cycle). A pair asked twice
   * is reserved once for both, the second's slots right after the first's.
   */
  private async reserveTogether(asked: SlotsAsked[]): Promise<SlotsReserved[]> {
    const keys = asked.map(({ pageId, lane }) => pairKey(pageId, lane));
    const totals = new Map<string, SlotsAsked>();
    const offsets = asked.map(({ pageId, lane, count }, i) => {
      const total = totals.get(keys[i]) ?? { pageId, lane, count: 0 };
      totals.set(keys[i], total);
      total.count += count;
      return total.count - count;
    });
    const { rows, nowMs } = await this.pacing.reserve([...totals.values()].map((pair) => ({ ...pair, spacingMs: this.spacingMs(pair.lane) })));
    this.clock.observe(nowMs);
    const reserved = new Map(rows.map((row) => [pairKey(row.pageId, row.lane), row]));
    return keys.map((key, i) => {
      const row = reserved.get(key)!;
      const stepMs = row.spanMs / totals.get(key)!.count;
      return { slotAt: row.slotMs + offsets[i] * stepMs, stepMs };
    });
  }

  /**
   * Meta said the Page (or app) is over its limit: pause it and slow it down (`MetaSendPacing.pause`).
   * Turns this instance handed out before the pause are not used: their calls take a new slot, after it.
   */
  async slowDown(pageId: string): Promise<void> {
    // Slots this instance leased before the answer would go at the old pace: give them up.
    for (const lane of Object.values(SendLane)) this.leases.get(pairKey(pageId, lane))?.slots.splice(0);
    this.rememberPause(pageId, this.clock.local());
    const { untilMs, nowMs } = await this.pacing.pause(pageId, Object.values(SendLane));
    this.clock.observe(nowMs);
    this.rememberPause(pageId, this.clock.toLocal(untilMs));
  }

  /** Until when this instance knows the Page to be paused. */
  private rememberPause(pageId: string, until: number): void {
    rememberTime(this.pausedUntil, pageId, Math.max(until, this.pausedUntil.get(pageId) ?? -Infinity), this.clock.local());
  }

  /** How far apart a (Page, lane)'s slots are: its paced rate's interval. */
  private spacingMs(lane: SendLane): number {
    return 1000 / pacedRate(lane === SendLane.Media ? this.config.metaPageMediaSendsPerSecond : this.config.metaPageSendsPerSecond);
  }
}

/** Sets a Page's time in a map of MAX_REMEMBERED_PAGES at most: when it is full, the times before `forgetBefore` go first. */
function rememberTime(times: Map<string, number>, key: string, at: number, forgetBefore: number): void {
  if (!times.has(key) && times.size >= MAX_REMEMBERED_PAGES) for (const [other, time] of times) if (time < forgetBefore) times.delete(other);
  times.set(key, at);
}

/** The key of a (Page, lane) pair in this instance's maps. */
function pairKey(pageId: string, lane: SendLane): string {
  return `${lane}:${pageId}`;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, Math.ceil(ms))) : Promise.resolve();
}

/** A turn: the slot a queued call reserved, in the database's clock (ms since the epoch). */
function turnOf(pageId: string, lane: SendLane, slotAt: number): string {
  return `${lane}:${Math.ceil(slotAt)}:${pageId}`;
}

/** The slot time a turn names (the database's clock), when it is this Page's and lane's. */
export function slotOfTurn(turn: string | null | undefined, pageId: string, lane: SendLane): number | null {
  if (!turn) return null;
  const [turnLane, at, ...page] = turn.split(':');
  const slotAt = Number(at);
  return turnLane === lane && page.join(':') === pageId && Number.isFinite(slotAt) ? slotAt : null;
}
