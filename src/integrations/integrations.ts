import { randomUUID } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { integrations } from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";
import { checkDestination, DestinationRefused } from "../webhooks/destination.ts";
import {
  apiSecrets,
  type CreateIntegration,
  defaultSettings,
  type IntegrationSettings,
  type SecretsInput,
  type StatusTarget,
  type UpdateIntegration,
  type Vendor,
  vendorSecrets,
} from "./model.ts";
import {
  decryptSecrets,
  encryptSecrets,
  type IntegrationSecrets,
  type SecretName,
  secretNames,
} from "./secrets.ts";

type Row = typeof integrations.$inferSelect;

/** What the API shows of an integration: never a secret, only which ones are set. */
export interface IntegrationView {
  id: string;
  vendor: Vendor;
  name: string;
  active: boolean;
  baseUrl: string | null;
  settings: IntegrationSettings;
  boardTeams: Record<string, string>;
  statusMap: Record<string, StatusTarget>;
  secretsSet: SecretName[];
  webhookUrl: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An integration as an adapter needs it, secrets decrypted. */
export interface IntegrationConfig extends Omit<IntegrationView, "secretsSet" | "webhookUrl"> {
  secrets: IntegrationSecrets;
}

type Ctx = Pick<ServiceContext, "db" | "config" | "clock" | "logger">;

export async function createIntegration({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateIntegration;
}): Promise<IntegrationView> {
  const secrets = mergeSecrets(input.vendor, {}, input.secrets);
  if (input.baseUrl) await checkBaseUrl(ctx, input.baseUrl);
  const id = randomUUID();
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .insert(integrations)
    .values({
      id,
      vendor: input.vendor,
      name: input.name,
      active: input.active,
      baseUrl: input.baseUrl ?? null,
      settings: input.settings ?? defaultSettings[input.vendor],
      boardTeams: input.boardTeams,
      statusMap: input.statusMap,
      encryptedSecrets: await encryptSecrets(ctx, id, secrets),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toView(ctx, row!, secrets);
}

export async function listIntegrations({ ctx }: { ctx: Ctx }): Promise<IntegrationView[]> {
  const rows = await ctx.db
    .select()
    .from(integrations)
    .orderBy(desc(integrations.createdAt), desc(integrations.id));
  return Promise.all(rows.map(async (row) => toView(ctx, row, await readSecrets(ctx, row))));
}

export async function getIntegration({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string };
}): Promise<IntegrationView | undefined> {
  const [row] = await ctx.db.select().from(integrations).where(eq(integrations.id, input.id));
  return row ? toView(ctx, row, await readSecrets(ctx, row)) : undefined;
}

/** Changes an integration; the row is locked so concurrent secret edits merge, not overwrite. */
export async function updateIntegration({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string; changes: UpdateIntegration };
}): Promise<IntegrationView | undefined> {
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const [row] = await tx
      .select()
      .from(integrations)
      .where(eq(integrations.id, input.id))
      .for("update");
    if (!row) return undefined;
    const { changes } = input;
    const moved = changes.baseUrl !== undefined && changes.baseUrl !== row.baseUrl;
    if (moved && changes.baseUrl) await checkBaseUrl(ctx, changes.baseUrl);
    let secrets: IntegrationSecrets | undefined;
    if (changes.secrets || moved) {
      // Unreadable secrets (APP_SECRET changed) are none: entering them again must work.
      secrets = { ...(await readSecrets(txCtx, row)) };
      // The API credentials were entered for the old host: a new one gets them only anew.
      if (moved) for (const name of apiSecrets) delete secrets[name];
      if (changes.secrets) secrets = mergeSecrets(row.vendor, secrets, changes.secrets);
    }
    const [updated] = await tx
      .update(integrations)
      .set({
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.active === undefined ? {} : { active: changes.active }),
        ...(changes.baseUrl === undefined ? {} : { baseUrl: changes.baseUrl }),
        ...(changes.settings === undefined ? {} : { settings: changes.settings }),
        ...(changes.boardTeams === undefined ? {} : { boardTeams: changes.boardTeams }),
        ...(changes.statusMap === undefined ? {} : { statusMap: changes.statusMap }),
        ...(secrets === undefined
          ? {}
          : { encryptedSecrets: await encryptSecrets(txCtx, row.id, secrets) }),
        updatedAt: ctx.clock.now(),
      })
      .where(eq(integrations.id, input.id))
      .returning();
    return toView(txCtx, updated!, secrets ?? (await readSecrets(txCtx, updated!)));
  });
}

/** Deletes an integration and the deliveries kept for it; answers whether it existed. */
export async function deleteIntegration({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string };
}): Promise<boolean> {
  const deleted = await ctx.db
    .delete(integrations)
    .where(eq(integrations.id, input.id))
    .returning({ id: integrations.id });
  return deleted.length > 0;
}

/** The active integration of this vendor with this id, secrets decrypted, for an adapter. */
export async function loadIntegration({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string; vendor: Vendor };
}): Promise<IntegrationConfig | undefined> {
  const [row] = await ctx.db
    .select()
    .from(integrations)
    .where(
      and(
        eq(integrations.id, input.id),
        eq(integrations.vendor, input.vendor),
        eq(integrations.active, true),
      ),
    );
  if (!row) return undefined;
  const { secretsSet: _, webhookUrl: __, ...view } = toView(ctx, row, {});
  // Unreadable secrets (APP_SECRET changed) are none, as the integration shows them: a
  // delivery is then refused as unsigned (401), not failed (500), until they are entered again.
  return { ...view, secrets: await readSecrets(ctx, row) };
}

export function webhookUrl(ctx: Pick<ServiceContext, "config">, vendor: Vendor, id: string) {
  return `${ctx.config.PUBLIC_BASE_URL}/v1/webhooks/${vendor}?integration=${id}`;
}

/** The outbound guard webhooks have: an API at a private address needs OUTBOUND_ALLOW_PRIVATE. */
async function checkBaseUrl(ctx: Pick<ServiceContext, "config">, url: string): Promise<void> {
  try {
    await checkDestination(url, ctx.config.OUTBOUND_ALLOW_PRIVATE);
  } catch (error) {
    if (!(error instanceof DestinationRefused)) throw error;
    throw new ApiError("validation_failed", `Invalid body: baseUrl ${error.message}`, {
      errors: [{ path: "baseUrl", message: error.message, in: "body" }],
    });
  }
}

function mergeSecrets(
  vendor: Vendor,
  current: IntegrationSecrets,
  changes: SecretsInput,
): IntegrationSecrets {
  const allowed = vendorSecrets[vendor];
  const merged: IntegrationSecrets = { ...current };
  for (const name of secretNames) {
    const value = changes[name];
    if (value === undefined) continue;
    if (!allowed.includes(name)) {
      throw new ApiError(
        "validation_failed",
        `A ${vendor} integration has no \`${name}\` secret.`,
        {
          errors: [
            {
              path: `secrets.${name}`,
              message: allowed.length
                ? `${vendor} takes only ${allowed.join(", ")}`
                : `${vendor} takes no secrets`,
              in: "body",
            },
          ],
        },
      );
    }
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/** Secrets of a row for listing; an unreadable ciphertext (APP_SECRET changed) shows as none. */
async function readSecrets(ctx: Ctx, row: Row): Promise<IntegrationSecrets> {
  try {
    return await decryptSecrets(ctx, row.id, row.encryptedSecrets);
  } catch {
    ctx.logger.warn({ integrationId: row.id }, "integration secrets cannot be decrypted");
    return {};
  }
}

function toView(
  ctx: Pick<ServiceContext, "config">,
  row: Row,
  secrets: IntegrationSecrets,
): IntegrationView {
  return {
    id: row.id,
    vendor: row.vendor,
    name: row.name,
    active: row.active,
    baseUrl: row.baseUrl,
    settings: row.settings as IntegrationSettings,
    boardTeams: row.boardTeams,
    statusMap: row.statusMap as Record<string, StatusTarget>,
    secretsSet: secretNames.filter((name) => secrets[name] !== undefined),
    webhookUrl: webhookUrl(ctx, row.vendor, row.id),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
