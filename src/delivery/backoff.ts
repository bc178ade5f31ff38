/** Retries of one batch before it is recorded as failed. */
export const MAX_ATTEMPTS = 8;
const BASE_DELAY_MS = 30_000;
// Keeps every retry of a batch well inside the provider's 24-hour idempotency window.
const MAX_DELAY_MS = 60 * 60_000;
const MAX_RETRY_AFTER_MS = 6 * 60 * 60_000;

/**
 * Exponential backoff with jitter for the `attempt`-th failure (1-based): half the doubled
 * delay, plus a random part of the other half, so workers that failed together spread out.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A `Retry-After` value (seconds or an HTTP date) in milliseconds, or undefined when absent or odd. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number | undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (!Number.isNaN(at)) ms = at - now.getTime();
  }
  if (ms === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(ms)));
}
