import { createHash, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import type { Db } from "../db/client.ts";
import { settings } from "../db/schema/index.ts";

const SETTING_KEY = "app_secret";
const cache = new WeakMap<Db, Promise<string>>();

/**
 * The instance secret: APP_SECRET when configured, otherwise one generated on first use and kept
 * in the database, so every instance sharing the database derives the same tokens.
 */
export function appSecret(ctx: Pick<ServiceContext, "db" | "config">): Promise<string> {
  if (ctx.config.APP_SECRET) return Promise.resolve(ctx.config.APP_SECRET);
  let secret = cache.get(ctx.db);
  if (!secret) {
    secret = loadOrCreate(ctx.db);
    secret.catch(() => cache.delete(ctx.db));
    cache.set(ctx.db, secret);
  }
  return secret;
}

async function loadOrCreate(db: Db): Promise<string> {
  await db
    .insert(settings)
    .values({ key: SETTING_KEY, value: randomBytes(32).toString("base64url") })
    .onConflictDoNothing();
  const [row] = await db.select().from(settings).where(eq(settings.key, SETTING_KEY));
  return row!.value as string;
}

/** A 32-byte key for one purpose, derived from the instance secret. */
export function derivedKey(secret: string, purpose: string): Buffer {
  return createHash("sha256").update(`${purpose}\0${secret}`).digest();
}
