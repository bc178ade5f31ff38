import { createHmac, timingSafeEqual } from "node:crypto";

/** Deliveries older or newer than this are refused, so a captured one cannot be replayed later. */
const TOLERANCE_MS = 5 * 60_000;

export interface SignedDelivery {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The raw request body, exactly as received. */
  body: string;
}

/**
 * Checks a Standard Webhooks (Svix) signature as Resend sends it: `svix-signature` lists
 * `v1,<base64>` entries, each an HMAC-SHA256 of `{svix-id}.{svix-timestamp}.{body}` under the
 * secret that follows `whsec_` (base64). Answers null when valid, otherwise why not.
 */
export function signatureProblem(
  secret: string,
  delivery: SignedDelivery,
  now: Date,
): string | null {
  const { id, timestamp, signature, body } = delivery;
  if (!id || !timestamp || !signature) {
    return "Missing svix-id, svix-timestamp or svix-signature header.";
  }
  if (!/^\d{1,15}$/.test(timestamp)) return "svix-timestamp is not a number of seconds.";
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > TOLERANCE_MS) {
    return "svix-timestamp is more than 5 minutes away from now.";
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  for (const entry of signature.trim().split(/\s+/)) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) continue;
    const given = Buffer.from(value, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return "No v1 signature matches the body.";
}

/** The header value a sender with `secret` would put on `body` (for tests and tooling). */
export function signDelivery(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}
