import { createHmac, randomBytes } from "node:crypto";
import type { ServiceContext } from "../context.ts";
import { appSecret, derivedKey } from "../security/app-secret.ts";
import { open, seal } from "../security/sealed.ts";

const SECRET_PREFIX = "whsec_";

/** A signing secret as the Standard Webhooks specification writes it: `whsec_` + base64. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

async function encryptionKey(ctx: Pick<ServiceContext, "db" | "config">): Promise<Buffer> {
  return derivedKey(await appSecret(ctx), "webhook-secrets");
}

/** Sealed as `sealed.ts` writes it. */
export async function encryptSecret(
  ctx: Pick<ServiceContext, "db" | "config">,
  secret: string,
): Promise<string> {
  return seal(await encryptionKey(ctx), secret);
}

export async function decryptSecret(
  ctx: Pick<ServiceContext, "db" | "config">,
  stored: string,
): Promise<string> {
  return open(await encryptionKey(ctx), stored);
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the secret's decoded bytes. */
export function signatureFor(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}
