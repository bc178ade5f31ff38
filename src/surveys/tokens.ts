import { createHmac, hash, randomBytes } from "node:crypto";

/** Tokens are 24 URL-safe characters: 144 bits. */
export const TOKEN_LENGTH = 24;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{24}$/;

/**
 * An invitation's link token is derived from a random 128-bit nonce and the instance secret, so
 * the database holds only the nonce and the token's hash, and a send retried after a crash
 * renders the very same links.
 */
export function tokenFor(secret: string, nonce: string): string {
  return createHmac("sha256", secret)
    .update(`invitation-token\0${nonce}`)
    .digest("base64url")
    .slice(0, TOKEN_LENGTH);
}

export function newTokenNonce(): string {
  return randomBytes(16).toString("base64url");
}

export function hashToken(token: string): string {
  return hash("sha256", token, "hex");
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** A fresh nonce with the hash of the token it yields, ready for a new invitation row. */
export function issueToken(secret: string): {
  tokenNonce: string;
  tokenHash: string;
  token: string;
} {
  const tokenNonce = newTokenNonce();
  const token = tokenFor(secret, tokenNonce);
  return { tokenNonce, token, tokenHash: hashToken(token) };
}
