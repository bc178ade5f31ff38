import { createHmac, timingSafeEqual } from "node:crypto";
import { purposeKey } from "./purpose-keys.ts";

export type FormPurpose = "comment" | "unsubscribe";

/**
 * The hidden form field that binds a page's form to its invitation: an HMAC of the link token
 * under a key derived from the instance secret, one per purpose. Another site cannot compute
 * it, and it needs no server-side session.
 */
export function formToken(secret: string, purpose: FormPurpose, linkToken: string): string {
  return createHmac("sha256", purposeKey(secret, `form-token:${purpose}`))
    .update(linkToken)
    .digest("base64url");
}

export function isValidFormToken(
  secret: string,
  purpose: FormPurpose,
  linkToken: string,
  candidate: unknown,
): boolean {
  if (typeof candidate !== "string") return false;
  const expected = Buffer.from(formToken(secret, purpose, linkToken));
  const given = Buffer.from(candidate);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Browsers say where a form post comes from. A cross-site `Origin` or `Sec-Fetch-Site` is
 * refused; their absence (older clients) leaves the decision to the form token.
 */
export function isSameSitePost(
  header: (name: string) => string | undefined,
  allowedOrigins: string[],
): boolean {
  const site = header("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = header("origin");
  if (origin === undefined) return true;
  return allowedOrigins.includes(origin);
}
