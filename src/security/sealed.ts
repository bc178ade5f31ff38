import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/*
 * Secrets kept in the database (integration credentials, webhook signing secrets): AES-256-GCM
 * with a fresh 96-bit IV, written `v1.<iv>.<tag>.<ciphertext>`, each part base64url. Associated
 * data, when given, binds a ciphertext to its row: copied onto another, it does not open.
 */
const FORMAT = "v1";
/** The tag written; a shorter one would authenticate less, so only the full 16 bytes open. */
const TAG_BYTES = 16;

export function seal(key: Buffer, plaintext: string, associated?: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  if (associated !== undefined) cipher.setAAD(Buffer.from(associated));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    FORMAT,
    ...[iv, cipher.getAuthTag(), sealed].map((part) => part.toString("base64url")),
  ].join(".");
}

/** The plaintext of `seal`'s output; throws when it is not one, or does not authenticate. */
export function open(key: Buffer, stored: string, associated?: string): string {
  const [format, iv, tag, sealed] = stored.split(".");
  if (format !== FORMAT || !iv || !tag || sealed === undefined) {
    throw new Error("a stored secret in an unknown format");
  }
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), {
    authTagLength: TAG_BYTES,
  });
  if (associated !== undefined) decipher.setAAD(Buffer.from(associated));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([
    decipher.update(Buffer.from(sealed, "base64url")),
    decipher.final(),
  ]).toString("utf8");
}
