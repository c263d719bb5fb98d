import { CoalescedRuns } from './coalesced-runs';

describe('CoalescedRuns', () => {
  it('runs once more after a run for any number of requests made during it, never two at once', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const runsOf = new CoalescedRuns(async () => {
      runs++;
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => (release = resolve));
      running--;
    });
    runsOf.request();
    runsOf.request();
    runsOf.request();
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await runsOf.idle();
    expect(runs).toBe(2);
    expect(most).toBe(1);
  });

  it('runs at once when idle, and goes on after a run that failed', async () => {
    let runs = 0;
    const runsOf = new CoalescedRuns(async () => {
      runs++;
      if (runs === 1) throw new Error('broken');
    });
    runsOf.request();
    await runsOf.idle();
    runsOf.request();
    await runsOf.idle();
    expect(runs).toBe(2);
  });
});
