import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { ServiceContext } from "../context.ts";
import { appSecret, derivedKey } from "../security/app-secret.ts";

/** Credentials an integration may hold; which ones a vendor uses is in `vendorSecrets`. */
export const secretNames = [
  "webhookSecret",
  "apiUsername",
  "apiSecret",
  "apiIntegrationCode",
  "apiCompanyId",
  "apiPublicKey",
  "apiPrivateKey",
  "apiClientId",
  "basicUsername",
  "basicPassword",
  "bearerToken",
] as const;

export type SecretName = (typeof secretNames)[number];
export type IntegrationSecrets = Partial<Record<SecretName, string>>;

const FORMAT = "v1";
const PURPOSE = "integration-secrets";

async function key(ctx: Pick<ServiceContext, "db" | "config">): Promise<Buffer> {
  return derivedKey(await appSecret(ctx), PURPOSE);
}

/**
 * AES-256-GCM with a fresh 96-bit IV; the integration id is the associated data, so a
 * ciphertext copied onto another integration's row does not decrypt.
 */
export async function encryptSecrets(
  ctx: Pick<ServiceContext, "db" | "config">,
  integrationId: string,
  secrets: IntegrationSecrets,
): Promise<string | null> {
  if (Object.keys(secrets).length === 0) return null;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await key(ctx), iv);
  cipher.setAAD(Buffer.from(integrationId));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(secrets), "utf8"), cipher.final()]);
  return [FORMAT, iv, cipher.getAuthTag(), sealed].map(encodePart).join(".");
}

export async function decryptSecrets(
  ctx: Pick<ServiceContext, "db" | "config">,
  integrationId: string,
  stored: string | null,
): Promise<IntegrationSecrets> {
  if (!stored) return {};
  const [format, iv, tag, sealed] = stored.split(".");
  if (format !== FORMAT || !iv || !tag || sealed === undefined) {
    throw new Error("integration secrets are stored in an unknown format");
  }
  // A tag shorter than the one written would authenticate less: only the full 16 bytes pass.
  const decipher = createDecipheriv("aes-256-gcm", await key(ctx), Buffer.from(iv, "base64url"), {
    authTagLength: 16,
  });
  decipher.setAAD(Buffer.from(integrationId));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  const plain = Buffer.concat([
    decipher.update(Buffer.from(sealed, "base64url")),
    decipher.final(),
  ]).toString("utf8");
  return JSON.parse(plain) as IntegrationSecrets;
}

function encodePart(part: string | Buffer): string {
  return typeof part === "string" ? part : part.toString("base64url");
}
