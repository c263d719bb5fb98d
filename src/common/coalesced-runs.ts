/**
 * Runs `work` one at a time, and again after a run for everything asked meanwhile: a call to
 * `request` while a run is going asks for one more run right after it, however many calls came,
 * so what was committed during a run is never missed and runs never overlap. `work` handles its
 * own errors (a rejection is dropped here).
 */
export class CoalescedRuns {
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly work: () => Promise<void>) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }

  /** Settles once no run is going and none is asked for. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
