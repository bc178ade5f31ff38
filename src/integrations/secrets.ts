import type { ServiceContext } from "../context.ts";
import { appSecret, derivedKey } from "../security/app-secret.ts";
import { open, seal } from "../security/sealed.ts";

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

const PURPOSE = "integration-secrets";

async function key(ctx: Pick<ServiceContext, "db" | "config">): Promise<Buffer> {
  return derivedKey(await appSecret(ctx), PURPOSE);
}

/**
 * Sealed (see `sealed.ts`) with the integration id as associated data: a ciphertext copied onto
 * another integration's row does not decrypt.
 */
export async function encryptSecrets(
  ctx: Pick<ServiceContext, "db" | "config">,
  integrationId: string,
  secrets: IntegrationSecrets,
): Promise<string | null> {
  if (Object.keys(secrets).length === 0) return null;
  return seal(await key(ctx), JSON.stringify(secrets), integrationId);
}

export async function decryptSecrets(
  ctx: Pick<ServiceContext, "db" | "config">,
  integrationId: string,
  stored: string | null,
): Promise<IntegrationSecrets> {
  if (!stored) return {};
  return JSON.parse(open(await key(ctx), stored, integrationId)) as IntegrationSecrets;
}
