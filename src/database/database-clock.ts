/** How long an observed offset counts: the estimate is the smallest of the last one or two windows. */
const WINDOW_MS = 10_000;

/**
 * PostgreSQL's clock as this process reads it, for times the database hands out (a paced slot,
 * a pause) that this process waits for, other processes on other machines too.
 *
 * Each answer that names the database's time when it was built (`clock_timestamp()`) is an
 * observation: it arrived here `arrival − databaseTime` after, in this process's clock, which is
 * the offset between the two clocks plus how long the answer took to be read. The smallest of them
 * lately (the answer read fastest) is the offset this clock uses, so a database time maps to a
 * local time a little late (by the fastest reading), never early, and the same way for every
 * answer: an answer read slowly (a busy event loop, a slow network) does not move it. So two
 * processes turn the same database time into the same moment, whichever of them read it and
 * however late. The local clock is monotonic (`performance.now()`), so a step of the system clock
 * changes nothing; a drift between the clocks is followed within one or two windows.
 */
export class DatabaseClock {
  private windowStart = -Infinity;
  /** The smallest offset observed in the current window, and in the one before it. */
  private current = Infinity;
  private previous = Infinity;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly windowMs = WINDOW_MS,
  ) {}

  /** This process's monotonic clock, in milliseconds. */
  local(): number {
    return this.now();
  }

  /** An answer built at `databaseMs` (milliseconds since the epoch, the database's clock) arrived now. */
  observe(databaseMs: number): void {
    const arrived = this.now();
    if (arrived - this.windowStart >= this.windowMs) {
      this.previous = arrived - this.windowStart < 2 * this.windowMs ? this.current : Infinity;
      this.current = Infinity;
      this.windowStart = arrived;
    }
    this.current = Math.min(this.current, arrived - databaseMs);
  }

  /** Whether an answer was observed yet: until then no time can be turned either way. */
  get known(): boolean {
    return Number.isFinite(this.offset());
  }

  /** A database time (ms since the epoch) as this process's clock. */
  toLocal(databaseMs: number): number {
    return databaseMs + this.offset();
  }

  /** A time of this process's clock as the database's (ms since the epoch). */
  toDatabase(localMs: number): number {
    return localMs - this.offset();
  }

  private offset(): number {
    return Math.min(this.current, this.previous);
  }
}
