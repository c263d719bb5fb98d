/**
 * How many named queues a job kind spreads its keys over. graphile-worker locks every available
 * queue row each time a worker looks for a job, and never deletes a queue row on its own (its
 * cleanup races with `add_job`), so a queue per conversation made every job fetch slower with
 * every conversation ever seen. A fixed set of queues keeps each key's jobs in one queue (in
 * order, one at a time) and the fetch cheap; keys that share a queue also wait for each other.
 */
export const QUEUE_SHARDS = 64;

/** The queue of `key` among `prefix`'s shards: the same key always lands in the same queue. */
export function shardedQueue(prefix: string, key: string, shards = QUEUE_SHARDS): string {
  // FNV-1a: stable across processes and releases, so a key never moves to another queue.
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${prefix}:${hash % shards}`;
}
