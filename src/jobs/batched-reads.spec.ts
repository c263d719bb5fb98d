import { BatchedReads } from './batched-reads';

/** A read the test answers by hand. */
interface PendingRead {
  keys: string[];
  answer(values: (number | undefined)[]): void;
  fail(error: unknown): void;
}

function harness() {
  const reads: PendingRead[] = [];
  const batched = new BatchedReads<string, number>({
    maxItems: 3,
    read: (keys) => new Promise((resolve, reject) => reads.push({ keys, answer: resolve, fail: reject })),
  });
  return { batched, reads };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchedReads', () => {
  it('reads a lone caller at once, and callers arriving meanwhile together in the next read', async () => {
    const { batched, reads } = harness();
    const first = batched.read('a');
    const second = batched.read('b');
    const third = batched.read('c');
    await settle();
    expect(reads.map((read) => read.keys)).toEqual([['a']]);

    reads[0].answer([1]);
    await settle();
    expect(reads.map((read) => read.keys)).toEqual([['a'], ['b', 'c']]);
    reads[1].answer([2, undefined]);

    expect(await Promise.all([first, second, third])).toEqual([1, 2, undefined]);
  });

  it('carries at most maxItems keys a read, the rest in the next', async () => {
    const { batched, reads } = harness();
    const answers = ['a', 'b', 'c', 'd', 'e'].map((key) => batched.read(key));
    await settle();
    reads[0].answer([0]);
    await settle();
    expect(reads[1].keys).toEqual(['b', 'c', 'd']);
    reads[1].answer([1, 2, 3]);
    await settle();
    expect(reads[2].keys).toEqual(['e']);
    reads[2].answer([4]);

    expect(await Promise.all(answers)).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects every caller of a failed read, and reads later callers afresh', async () => {
    const { batched, reads } = harness();
    const lone = batched.read('a');
    const together = [batched.read('b'), batched.read('c')];
    await settle();
    reads[0].answer([1]);
    await settle();
    const away = new Error('connect ECONNREFUSED');
    reads[1].fail(away);

    expect(await lone).toBe(1);
    for (const answer of together) await expect(answer).rejects.toBe(away);
    const later = batched.read('d');
    await settle();
    reads[2].answer([4]);
    expect(await later).toBe(4);
  });
});
