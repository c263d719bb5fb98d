import { pacedRate } from './meta-rate-limiter';

describe('pacedRate', () => {
  it.each([
    [300, 270],
    [10, 9],
    [3, 2],
    [2, 1],
    [1, 0.5],
  ])('paces a limit of %p calls/s at %p, leaving room for arrival jitter', (limit, paced) => {
    expect(pacedRate(limit)).toBe(paced);
  });

  it('always stays below the limit', () => {
    for (let limit = 1; limit <= 1000; limit++) expect(pacedRate(limit)).toBeLessThan(limit);
  });
});
