import { GroupCommit } from './group-commit';

export interface BatchedReadsOptions<K, V> {
  /** One value (or undefined: nothing found) per key, in the order of `keys`. */
  read: (keys: K[]) => Promise<(V | undefined)[]>;
  /** The most keys one read carries. */
  maxItems: number;
}

/**
 * Reads batched as `GroupCommit` batches writes: a caller that finds no read in flight is read at
 * once; callers that arrive while one is in flight go together in the next. So many concurrent
 * callers share a round trip, and every caller's read starts after it asked: it never sees the
 * database as it was before its request (a row deleted before it is not found).
 *
 * A failed read rejects every caller it carried.
 */
export class BatchedReads<K, V> {
  private readonly reads: GroupCommit<{ key: K; value?: V }>;

  constructor(options: BatchedReadsOptions<K, V>) {
    this.reads = new GroupCommit({
      maxItems: options.maxItems,
      write: async (groups) => {
        const asked = groups.flat();
        const values = await options.read(asked.map((one) => one.key));
        asked.forEach((one, index) => (one.value = values[index]));
      },
    });
  }

  /** The value read for `key`, by a read that started after this call. */
  async read(key: K): Promise<V | undefined> {
    const asked: { key: K; value?: V } = { key };
    await this.reads.add([asked]);
    return asked.value;
  }
}
