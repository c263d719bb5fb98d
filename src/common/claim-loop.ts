import type { Logger } from '@nestjs/common';
import { CoalescedRuns } from './coalesced-runs';

export interface ClaimLoopOptions {
  /** What is claimed, for the log lines ("due deliveries"). */
  what: string;
  logger: Logger;
  /** How often it claims without being woken: work another instance stored, retries falling due. */
  pollMs: number;
  /** Claims what it can and starts it (`track`); a rejection is a failed claim. */
  claim: () => Promise<void>;
}

/**
 * The loop of a queue whose rows are their own queue: `claim` runs when woken and every
 * `pollMs`, one run at a time (and once more for whatever woke it meanwhile, `CoalescedRuns`);
 * the work a claim started is tracked, so `stop` waits for it, and its end wakes the loop (room
 * for more). A failing claim is logged once per reason, not at every poll of an outage, and the
 * recovery once.
 */
export class ClaimLoop {
  private readonly runs = new CoalescedRuns(() => this.run());
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Why the last claim failed (null: it did not). */
  private failing: string | null = null;

  constructor(private readonly options: ClaimLoopOptions) {}

  /** The work started and not yet ended. */
  get running(): number {
    return this.inFlight.size;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.wake();
  }

  /** Claims now (new work committed, work ended). */
  wake(): void {
    if (!this.stopped) this.runs.request();
  }

  /** Work a claim started (its own errors handled: a rejection is dropped here). */
  track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(tracked);
        this.wake();
      });
    this.inFlight.add(tracked);
  }

  /** No more claims; resolves once nothing is being claimed or worked on. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    do {
      await this.runs.idle();
      await Promise.all(this.inFlight);
    } while (this.inFlight.size > 0);
  }

  private async run(): Promise<void> {
    const { what, logger, claim } = this.options;
    try {
      await claim();
      if (this.failing !== null) logger.log(`claiming ${what} works again`);
      this.failing = null;
    } catch (error) {
      const reason = (error as Error).message;
      if (!this.stopped && reason !== this.failing) logger.warn(`claiming ${what} failed, trying again at every poll: ${reason}`);
      this.failing = reason;
    }
  }
}
