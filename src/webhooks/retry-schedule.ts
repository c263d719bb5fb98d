/**
 * Seconds to wait after each failed attempt (after the 1st, the 2nd, …): 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h — 27.6 hours in all, so an endpoint down for a day still gets
 * everything. After the last, the delivery is `failed` (a manual retry can still send it).
 */
export const RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 36000] as const;

/** Attempts a delivery gets on its own: the first and one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** An endpoint whose every attempt has failed for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3600 * 1000;

/** When to try again after `attempts` failed attempts, or null when the schedule is done. */
export function nextAttemptAfter(attempts: number, now: Date): Date | null {
  const delay = RETRY_DELAYS_SECONDS[attempts - 1];
  return delay === undefined ? null : new Date(now.getTime() + delay * 1000);
}
