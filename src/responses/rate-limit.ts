import type { Clock } from "../context.ts";

/**
 * A fixed-window counter per key (an IP hash), kept in this process: it protects the public
 * pages from floods and holds nothing that must survive or be shared. Windows are one minute.
 */
export class FixedWindowLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
  ) {}

  /** Counts a request; answers the seconds to wait when over the limit. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.clock.now().getTime();
    const start = now - (now % 60_000);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts = new Map();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= this.limit) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((start + 60_000 - now) / 1000)),
    };
  }
}
