/** Calls counted for one key in the current and the previous window. */
interface DemandWindows {
  windowStart: number;
  current: number;
  previous: number;
}

/**
 * How many calls asked for a slot per key ((Page, lane)), counted in fixed windows of `windowMs`
 * on `now`'s clock: the calls to expect in the next window are as many as in the last one. At
 * most `maxKeys` keys are remembered; past that, all are forgotten at once and start again at one.
 */
export class SendDemand {
  private readonly windows = new Map<string, DemandWindows>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** Counts a call for `key` in the current window. */
  note(key: string): void {
    const now = this.now();
    let windows = this.windows.get(key);
    if (!windows || now - windows.windowStart >= 2 * this.windowMs) {
      if (!windows && this.windows.size >= this.maxKeys) this.windows.clear();
      this.windows.set(key, (windows = { windowStart: now, current: 0, previous: 0 }));
    } else if (now - windows.windowStart >= this.windowMs) {
      Object.assign(windows, { windowStart: windows.windowStart + this.windowMs, previous: windows.current, current: 0 });
    }
    windows.current += 1;
  }

  /** The calls to expect for `key` in the next window: as many as in the last one (or this one, if more), one when none were counted lately. */
  expected(key: string): number {
    const windows = this.windows.get(key);
    return windows && this.now() - windows.windowStart < 2 * this.windowMs ? Math.max(windows.previous, windows.current) : 1;
  }
}
