import { SendDemand } from './send-demand';

describe('SendDemand', () => {
  let now = 0;
  const demand = () => new SendDemand(() => now, 50, 3);
  beforeEach(() => (now = 1000));

  it('expects one call for a key with none counted', () => {
    expect(demand().expected('a')).toBe(1);
  });

  it('expects as many calls as the last window had, or the current one if more', () => {
    const d = demand();
    for (let i = 0; i < 5; i++) d.note('a');
    expect(d.expected('a')).toBe(5);
    now += 50;
    d.note('a');
    expect(d.expected('a')).toBe(5);
    for (let i = 0; i < 6; i++) d.note('a');
    expect(d.expected('a')).toBe(7);
  });

  it('forgets the count once two windows passed without a call', () => {
    const d = demand();
    for (let i = 0; i < 5; i++) d.note('a');
    now += 100;
    expect(d.expected('a')).toBe(1);
    d.note('a');
    expect(d.expected('a')).toBe(1);
  });

  it('counts keys apart, and starts again when more keys than it remembers ask', () => {
    const d = demand();
    for (const key of ['a', 'a', 'b', 'c']) d.note(key);
    expect([d.expected('a'), d.expected('b')]).toEqual([2, 1]);
    d.note('d');
    expect([d.expected('a'), d.expected('d')]).toEqual([1, 1]);
  });
});
