import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { authenticateKey } from "../apikeys/keys.ts";
import { grants } from "../apikeys/scopes.ts";
import type { ServiceContext } from "../context.ts";
import { apiKeys, dashboardSessions } from "../db/schema/index.ts";

export interface DashboardSession {
  id: string;
  token: string;
  expiresAt: Date;
  apiKey: { id: string; name: string; scopes: string[] };
}

function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Exchanges an API key holding `metrics:read` for a session token; answers undefined for an
 * unknown, revoked or under-scoped key (the caller shows one message for all three).
 */
export async function signIn({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock" | "config">;
  input: { key: string };
}): Promise<DashboardSession | undefined> {
  const apiKey = await authenticateKey({ ctx, input: { key: input.key.trim() } });
  if (!apiKey || !grants(apiKey.scopes, "metrics:read")) return undefined;
  const token = randomBytes(32).toString("base64url");
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + ctx.config.DASHBOARD_SESSION_HOURS * 3_600_000);
  // Expired sessions of every key go on each sign-in; it keeps the table small without a job.
  await ctx.db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, now));
  const [row] = await ctx.db
    .insert(dashboardSessions)
    .values({ tokenHash: hashSessionToken(token), apiKeyId: apiKey.id, createdAt: now, expiresAt })
    .returning({ id: dashboardSessions.id });
  return {
    id: row!.id,
    token,
    expiresAt,
    apiKey: { id: apiKey.id, name: apiKey.name, scopes: apiKey.scopes },
  };
}

/** The live session behind a cookie: unexpired, and its key not revoked. */
export async function findSession({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { token: string };
}): Promise<DashboardSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(input.token)) return undefined;
  const [row] = await ctx.db
    .select({
      id: dashboardSessions.id,
      expiresAt: dashboardSessions.expiresAt,
      apiKey: { id: apiKeys.id, name: apiKeys.name, scopes: apiKeys.scopes },
    })
    .from(dashboardSessions)
    .innerJoin(apiKeys, eq(apiKeys.id, dashboardSessions.apiKeyId))
    .where(
      and(
        eq(dashboardSessions.tokenHash, hashSessionToken(input.token)),
        gt(dashboardSessions.expiresAt, ctx.clock.now()),
        isNull(apiKeys.revokedAt),
      ),
    );
  if (!row || !grants(row.apiKey.scopes, "metrics:read")) return undefined;
  return { ...row, token: input.token };
}

export async function signOut({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { token: string };
}): Promise<void> {
  await ctx.db
    .delete(dashboardSessions)
    .where(eq(dashboardSessions.tokenHash, hashSessionToken(input.token)));
}

/**
 * The CSRF token of a session's forms, derived from the session token (which a cross-site page
 * cannot read), so nothing more needs storing.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("dashboard-csrf").digest("base64url");
}

export function isValidCsrfToken(sessionToken: string, presented: unknown): boolean {
  if (typeof presented !== "string") return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
