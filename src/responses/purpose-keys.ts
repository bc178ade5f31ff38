import { createSecretKey, type KeyObject } from "node:crypto";
import { derivedKey } from "../security/app-secret.ts";

const keys = new Map<string, KeyObject>();
// A process knows one instance secret (tests: one per file), a few purposes each.
const MAX_KEYS = 64;

/**
 * The derived key for a purpose, as a key object made once per process: every click hashes an
 * address and signs a form, and deriving and importing the key each time shows in profiles.
 */
export function purposeKey(secret: string, purpose: string): KeyObject {
  const id = `${purpose}\0${secret}`;
  let key = keys.get(id);
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = createSecretKey(derivedKey(secret, purpose));
    keys.set(id, key);
  }
  return key;
}
