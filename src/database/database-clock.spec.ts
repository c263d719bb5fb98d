import { DatabaseClock } from './database-clock';

describe('DatabaseClock', () => {
  /** A clock whose local time the test moves; the database's clock runs `skew` ms ahead of it. */
  function clockAt(start = 1_000) {
    let local = start;
    const clock = new DatabaseClock(() => local, 10_000);
    return {
      clock,
      /** An answer the database built at local time `builtAt` (its clock: + skew) arrives `latency` ms later. */
      answer(builtAt: number, latency: number, skew = 5_000) {
        local = builtAt + latency;
        clock.observe(builtAt + skew);
      },
    };
  }

  it('knows nothing before its first answer', () => {
    const { clock } = clockAt();
    expect(clock.known).toBe(false);
  });

  it('maps a database time through the fastest answer, so it is never early and a slow answer does not move it', () => {
    const t = clockAt();
    t.answer(1_000, 2);
    t.answer(1_100, 0.5);
    t.answer(1_200, 80);
    expect(t.clock.known).toBe(true);
    // The database time of local 2_000 is 7_000: mapped back half a millisecond late (the fastest reading).
    expect(t.clock.toLocal(7_000)).toBe(2_000.5);
    expect(t.clock.toDatabase(2_000.5)).toBe(7_000);
  });

  it('turns one database time into the same moment for two processes, however late each read its answer', () => {
    const a = clockAt();
    const b = clockAt();
    for (let i = 0; i < 20; i++) {
      a.answer(1_000 + i * 10, i === 5 ? 0.3 : 3 + i);
      b.answer(1_000 + i * 10, i === 9 ? 0.4 : 40 + i * 5);
    }
    expect(Math.abs(a.clock.toLocal(9_000) - b.clock.toLocal(9_000))).toBeLessThan(0.2);
  });

  it('follows a drift of the clocks within two windows', () => {
    const t = clockAt();
    t.answer(1_000, 1);
    // Later the database's clock runs 30 ms further behind: until the old window has passed,
    // its times still map through the old offset.
    t.answer(12_000, 1, 4_970);
    expect(t.clock.toLocal(20_000)).toBe(20_000 - 5_000 + 1);
    t.answer(22_000, 1, 4_970);
    expect(t.clock.toLocal(40_000)).toBe(40_000 - 4_970 + 1);
    // Running further ahead is followed at once: the offset only gets smaller.
    t.answer(23_000, 1, 5_010);
    expect(t.clock.toLocal(40_000)).toBe(40_000 - 5_010 + 1);
  });

  it('starts afresh after a long silence', () => {
    const t = clockAt();
    t.answer(1_000, 0.1);
    t.answer(60_000, 4, 5_100);
    expect(t.clock.toLocal(70_000)).toBe(70_000 - 5_100 + 4);
  });
});
