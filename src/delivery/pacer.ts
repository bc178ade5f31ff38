/**
 * Spaces requests to a provider at most `requestsPerSecond` apart, and holds them back while the
 * provider asked to wait (Retry-After). The state is this process's: several processes each keep
 * their own pace, so the provider's account-wide limit is shared by dividing the rate among them.
 */
export class RequestPacer {
  private nextSlotAt = 0;
  private pausedUntil = 0;
  private readonly intervalMs: number;

  constructor(
    requestsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.intervalMs = 1000 / requestsPerSecond;
  }

  /** Milliseconds until a request may start. */
  readyInMs(): number {
    return Math.max(0, Math.max(this.nextSlotAt, this.pausedUntil) - this.now());
  }

  /** Reserves the next slot (synchronously, so concurrent callers get distinct ones) and waits for it. */
  async take(): Promise<void> {
    const now = this.now();
    const start = Math.max(now, this.nextSlotAt, this.pausedUntil);
    this.nextSlotAt = start + this.intervalMs;
    if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
  }

  /** No request starts for `ms` from now. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}
