import { MAX_ATTEMPTS, nextAttemptAfter, RETRY_DELAYS_SECONDS } from './retry-schedule';

describe('webhook retry schedule', () => {
  const now = new Date('2026-12-01T10:00:00Z');

  it('retries with growing delays for at least 24 hours', () => {
    const total = RETRY_DELAYS_SECONDS.reduce((sum, delay) => sum + delay, 0);
    expect(total).toBeGreaterThanOrEqual(24 * 3600);
    for (let i = 1; i < RETRY_DELAYS_SECONDS.length; i++) expect(RETRY_DELAYS_SECONDS[i]).toBeGreaterThanOrEqual(RETRY_DELAYS_SECONDS[i - 1]);
  });

  it('schedules after each failed attempt and stops after the last', () => {
    expect(nextAttemptAfter(1, now)).toEqual(new Date(now.getTime() + 5000));
    expect(nextAttemptAfter(2, now)).toEqual(new Date(now.getTime() + 300_000));
    expect(nextAttemptAfter(MAX_ATTEMPTS - 1, now)).not.toBeNull();
    expect(nextAttemptAfter(MAX_ATTEMPTS, now)).toBeNull();
  });
});
