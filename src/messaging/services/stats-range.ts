import { DomainError, DomainErrorCode } from '../../common/domain-error';

export const MAX_STATS_DAYS = 366;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The half-open instant range [start, end) covering the UTC days `from`..`to` inclusive.
 * Refuses a reversed range, and one longer than `MAX_STATS_DAYS` days counting both ends
 * (a whole leap year fits).
 */
export function statsRange(from: string, to: string): { start: Date; end: Date } {
  const start = new Date(`${from}T00:00:00.000Z`);
  const last = new Date(`${to}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime()) || Number.isNaN(last.getTime())) {
    throw new DomainError(DomainErrorCode.ValidationFailed, 'from and to must be days as YYYY-MM-DD');
  }
  if (start > last) throw new DomainError(DomainErrorCode.ValidationFailed, 'from must not be after to');
  const days = (last.getTime() - start.getTime()) / DAY_MS + 1;
  if (days > MAX_STATS_DAYS) {
    throw new DomainError(DomainErrorCode.ValidationFailed, `from..to spans ${days} days; at most ${MAX_STATS_DAYS} are allowed`);
  }
  return { start, end: new Date(last.getTime() + DAY_MS) };
}
