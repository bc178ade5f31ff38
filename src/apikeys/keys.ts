import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryPrepared } from "../db/client.ts";
import { apiKeys } from "../db/schema/index.ts";
import type { Scope } from "./scopes.ts";

const KEY_PREFIX = "rpk_";

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const view = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

/** Makes a key; the plain key is returned once and only its hash is kept. */
export async function createApiKey({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { name: string; scopes: Scope[] };
}): Promise<{ key: string; apiKey: ApiKeyView }> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const [apiKey] = await ctx.db
    .insert(apiKeys)
    .values({
      name: input.name,
      prefix: key.slice(0, KEY_PREFIX.length + 6),
      keyHash: hashKey(key),
      scopes: [...new Set(input.scopes)],
    })
    .returning(view);
  return { key, apiKey: apiKey! };
}

export async function listApiKeys({ ctx }: { ctx: Pick<ServiceContext, "db"> }) {
  return ctx.db.select(view).from(apiKeys).orderBy(desc(apiKeys.createdAt), apiKeys.id);
}

/** Revokes a key; answers the key, or undefined when there is no such key. */
export async function revokeApiKey({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { id: string };
}): Promise<ApiKeyView | undefined> {
  const [revoked] = await ctx.db
    .update(apiKeys)
    .set({ revokedAt: ctx.clock.now() })
    .where(and(eq(apiKeys.id, input.id), isNull(apiKeys.revokedAt)))
    .returning(view);
  if (revoked) return revoked;
  const [existing] = await ctx.db.select(view).from(apiKeys).where(eq(apiKeys.id, input.id));
  return existing;
}

/** How stale a key's `lastUsedAt` may be: a busy key writes it at most once a minute. */
const LAST_USED_GRAIN_MS = 60_000;

/** Finds the live key behind a presented secret, and notes when it was last used. */
export async function authenticateKey({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { key: string };
}): Promise<ApiKeyView | undefined> {
  if (!input.key.startsWith(KEY_PREFIX)) return undefined;
  // Every authenticated request runs this: a prepared statement is planned once per connection.
  const [found] = await queryPrepared<KeyRow>(
    ctx.db,
    "authenticate_api_key",
    sql`select id, name, prefix, scopes, created_at, last_used_at, revoked_at
        from api_keys where key_hash = ${hashKey(input.key)} and revoked_at is null`,
  );
  if (!found) return undefined;
  const now = ctx.clock.now();
  const lastUsed = dateOrNull(found.last_used_at);
  if (!lastUsed || now.getTime() - lastUsed.getTime() >= LAST_USED_GRAIN_MS) {
    // Guarded, so instances using the key at once write it once.
    await ctx.db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(apiKeys.id, found.id),
          or(
            isNull(apiKeys.lastUsedAt),
            lte(apiKeys.lastUsedAt, new Date(now.getTime() - LAST_USED_GRAIN_MS)),
          ),
        ),
      );
    return toView({ ...found, last_used_at: now });
  }
  return toView(found);
}

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

const dateOrNull = (value: Date | string | null) => (value === null ? null : new Date(value));

function toView(row: KeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: new Date(row.created_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    revokedAt: dateOrNull(row.revoked_at),
  };
}
