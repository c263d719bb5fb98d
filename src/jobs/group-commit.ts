/** Writes every caller's items, in caller order, in one statement that commits or fails as a whole. */
export type GroupWriter<T> = (groups: T[][]) => Promise<void>;

export interface GroupCommitOptions<T> {
  write: GroupWriter<T>;
  /** The most items one statement carries; a caller with more still goes, alone. */
  maxItems: number;
  /**
   * The most weight (e.g. payload size) one statement carries, as `weigh` tells it; a heavier
   * caller still goes, alone. Without them, only `maxItems` bounds a statement.
   */
  maxWeight?: number;
  weigh?: (items: T[]) => number;
  /**
   * Whether a failed statement may have failed because of one caller's items (the database
   * refused a row), so writing each caller alone lets the others through. A failure that no
   * statement can escape now (the database is away) is everyone's and is not tried again; without
   * this, every failure is.
   */
  mayBeOneCallers?: (error: unknown) => boolean;
  /** After each commit: how many callers' items it carried. */
  onCommit?: (callers: number) => void;
  /** When a combined statement failed and its callers are written one by one. */
  onIsolate?: (callers: number, error: unknown) => void;
}

interface Waiter<T> {
  items: T[];
  weight: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit, as Postgres does it for WAL flushes: a caller that finds no statement in flight
 * is written at once; callers that arrive while one is in flight wait for it and then all go
 * together in the next one. Nothing is held back on a timer, so a lone caller pays one round
 * trip and many concurrent ones share a round trip and a commit.
 *
 * One statement at a time keeps the callers' order across statements: a later caller's rows
 * are always written by a later transaction than an earlier caller's.
 *
 * A caller's promise settles only with the statement that carried its items: resolved once it
 * committed, rejected if it failed. If a combined statement fails for a reason one caller's
 * items may cause, each caller is written again alone (still in order), so a refused caller
 * fails only itself.
 */
export class GroupCommit<T> {
  private readonly pending: Waiter<T>[] = [];
  private writing?: Promise<void>;

  constructor(private readonly options: GroupCommitOptions<T>) {}

  private mayBeOneCallers(error: unknown): boolean {
    return this.options.mayBeOneCallers?.(error) ?? false;
  }

  /** Resolves once `items` are committed; rejects with the statement's error if they are not. */
  add(items: T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, weight: this.options.weigh?.(items) ?? 0, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Settles once nothing is pending or in flight. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) await this.commit(this.nextBatch());
    } finally {
      this.writing = undefined;
    }
  }

  /** The longest run of waiting callers, oldest first, within the size caps (at least one). */
  private nextBatch(): Waiter<T>[] {
    let items = 0;
    let weight = 0;
    let taken = 0;
    for (const waiter of this.pending) {
      if (taken > 0 && (items + waiter.items.length > this.options.maxItems || weight + waiter.weight > (this.options.maxWeight ?? Infinity))) break;
      items += waiter.items.length;
      weight += waiter.weight;
      taken++;
    }
    return this.pending.splice(0, taken);
  }

  private async commit(batch: Waiter<T>[]): Promise<void> {
    try {
      await this.write(batch);
    } catch (error) {
      if (batch.length === 1 || !this.mayBeOneCallers(error)) {
        for (const waiter of batch) waiter.reject(error);
        return;
      }
      this.options.onIsolate?.(batch.length, error);
      await this.commitOneByOne(batch);
      return;
    }
    for (const waiter of batch) waiter.resolve();
  }

  private async commitOneByOne(batch: Waiter<T>[]): Promise<void> {
    for (const [index, waiter] of batch.entries()) {
      try {
        await this.write([waiter]);
        waiter.resolve();
      } catch (error) {
        waiter.reject(error);
        // The database went away meanwhile: the rest would only fail the same way, later.
        if (!this.mayBeOneCallers(error)) {
          for (const rest of batch.slice(index + 1)) rest.reject(error);
          return;
        }
      }
    }
  }

  private async write(batch: Waiter<T>[]): Promise<void> {
    // A writer that throws before its first await fails the statement like any other error.
    await Promise.resolve().then(() => this.options.write(batch.map((waiter) => waiter.items)));
    this.options.onCommit?.(batch.length);
  }
}
