import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "../http/errors.ts";
import type { IntegrationConfig } from "../integrations/integrations.ts";

/** Compares two strings in constant time (their hashes, so lengths leak nothing either). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export function badSignature(detail: string): ApiError {
  return new ApiError("invalid_signature", detail);
}

/** Autotask: `X-Hook-Signature: sha1=<base64(HMAC-SHA1(SecretKey, raw body))>`. */
export function verifyAutotask(
  integration: IntegrationConfig,
  body: Uint8Array,
  headers: Headers,
): void {
  const secret = integration.secrets.webhookSecret;
  if (!secret) throw badSignature("This integration has no webhook secret configured.");
  const header = headers.get("x-hook-signature")?.trim() ?? "";
  const expected = `sha1=${createHmac("sha1", secret).update(body).digest("base64")}`;
  if (!header || !sameSecret(header, expected)) {
    throw badSignature("The X-Hook-Signature header does not match the body.");
  }
}

/** HaloPSA: the webhook's Basic or bearer credential, as configured on the integration. */
export function verifyHalopsa(integration: IntegrationConfig, headers: Headers): void {
  const { basicUsername, basicPassword, bearerToken } = integration.secrets;
  const given = headers.get("authorization")?.trim() ?? "";
  const accepted: string[] = [];
  if (basicUsername !== undefined && basicPassword !== undefined) {
    accepted.push(`Basic ${Buffer.from(`${basicUsername}:${basicPassword}`).toString("base64")}`);
  }
  if (bearerToken !== undefined) accepted.push(`Bearer ${bearerToken}`);
  if (accepted.length === 0) {
    throw badSignature("This integration has no webhook credential configured.");
  }
  // Every candidate is compared, so the time taken does not tell which one matched.
  const matches = accepted.map((expected) => sameSecret(normaliseScheme(given), expected));
  if (!given || !matches.includes(true)) {
    throw badSignature("The Authorization header does not carry this integration's credential.");
  }
}

function normaliseScheme(header: string): string {
  const match = /^(basic|bearer)\s+(.+)$/i.exec(header);
  if (!match) return header;
  const scheme = match[1]!.toLowerCase() === "basic" ? "Basic" : "Bearer";
  return `${scheme} ${match[2]}`;
}
