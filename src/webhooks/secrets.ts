import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { ServiceContext } from "../context.ts";
import { appSecret, derivedKey } from "../security/app-secret.ts";

const SECRET_PREFIX = "whsec_";
const FORMAT = "v1";

/** A signing secret as the Standard Webhooks specification writes it: `whsec_` + base64. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

async function encryptionKey(ctx: Pick<ServiceContext, "db" | "config">): Promise<Buffer> {
  return derivedKey(await appSecret(ctx), "webhook-secrets");
}

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. */
export async function encryptSecret(
  ctx: Pick<ServiceContext, "db" | "config">,
  secret: string,
): Promise<string> {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await encryptionKey(ctx), iv);
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return [FORMAT, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export async function decryptSecret(
  ctx: Pick<ServiceContext, "db" | "config">,
  stored: string,
): Promise<string> {
  const [format, iv, tag, ciphertext] = stored.split(".");
  if (format !== FORMAT || !iv || !tag || ciphertext === undefined) {
    throw new Error("unreadable webhook secret");
  }
  // A tag shorter than the one written would authenticate less: only the full 16 bytes pass.
  const decipher = createDecipheriv(
    "aes-256-gcm",
    await encryptionKey(ctx),
    Buffer.from(iv, "base64url"),
    { authTagLength: 16 },
  );
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([
    decipher.update(Buffer.from(ciphertext, "base64url")),
    decipher.final(),
  ]).toString("utf8");
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the secret's decoded bytes. */
export function signatureFor(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}
