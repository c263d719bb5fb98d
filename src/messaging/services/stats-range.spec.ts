import { DomainError } from '../../common/domain-error';
import { statsRange } from './stats-range';

describe('statsRange', () => {
  it('covers both days whole, in UTC', () => {
    expect(statsRange('2025-03-01', '2025-03-02')).toEqual({
      start: new Date('2025-03-01T00:00:00.000Z'),
      end: new Date('2025-03-03T00:00:00.000Z'),
    });
  });

  it('accepts a single day', () => {
    const { start, end } = statsRange('2025-03-01', '2025-03-01');
    expect(end.getTime() - start.getTime()).toBe(24 * 3600 * 1000);
  });

  it('accepts a whole leap year (366 days counting both ends)', () => {
    expect(() => statsRange('2024-01-01', '2024-12-31')).not.toThrow();
  });

  it('refuses 367 days', () => {
    expect(() => statsRange('2024-01-01', '2025-01-01')).toThrow(/367 days/);
  });

  it('refuses from after to', () => {
    expect(() => statsRange('2025-03-02', '2025-03-01')).toThrow(DomainError);
  });
});
