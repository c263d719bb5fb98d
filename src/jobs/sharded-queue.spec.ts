import { QUEUE_SHARDS, shardedQueue } from './sharded-queue';

describe('sharded queues', () => {
  it('always puts one key in the same queue', () => {
    expect(shardedQueue('meta:inbound', '1234:psid-a')).toBe(shardedQueue('meta:inbound', '1234:psid-a'));
  });

  it('keeps to a fixed set of queues however many keys there are, and uses all of them', () => {
    const queues = new Set(Array.from({ length: 10_000 }, (_, i) => shardedQueue('meta:inbound', `1234:psid-${i}`)));
    expect(queues.size).toBe(QUEUE_SHARDS);
    for (const queue of queues) expect(queue).toMatch(new RegExp(`^meta:inbound:(\\d|[1-5]\\d|6[0-3])$`));
  });

  it('spreads keys evenly enough that no queue takes much more than its share', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 64_000; i++) {
      const queue = shardedQueue('q', `page-${i % 7}:person-${i}`);
      counts.set(queue, (counts.get(queue) ?? 0) + 1);
    }
    expect(Math.max(...counts.values())).toBeLessThan(1.2 * (64_000 / QUEUE_SHARDS));
  });
});
