import { isIPv6 } from "node:net";
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

/**
 * The network a client is limited as: an IPv6 client by its /64, since one host may send from
 * any of the 2^64 addresses of its own network; IPv4 (also IPv4-mapped) by its address.
 * Undefined when the address itself is the unit.
 */
export function limitedNetwork(address: string): string | undefined {
  const bare = address.replace(/%.*$/, "");
  if (!isIPv6(bare) || /^::ffff:/i.test(bare)) return undefined;
  const [head = "", tail = ""] = bare.split("::");
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  // An embedded IPv4 tail counts as two groups.
  const backGroups = back.reduce((n, group) => n + (group.includes(".") ? 2 : 1), 0);
  const groups = bare.includes("::")
    ? [...front, ...Array(8 - front.length - backGroups).fill("0"), ...back]
    : front;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}
