import { jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** API keys: only the SHA-256 of the key is stored; `prefix` lets people tell keys apart. */
export const apiKeys = pgTable("api_keys", {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  prefix: text().notNull(),
  // Authentication looks a key up by its hash: `where key_hash = $1` (unique index).
  keyHash: text().notNull().unique(),
  scopes: text().array().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp({ withTimezone: true }),
  revokedAt: timestamp({ withTimezone: true }),
});

/** Instance-wide settings (branding, generated secrets), one JSON value per key. */
export const settings = pgTable("settings", {
  key: text().primaryKey(),
  value: jsonb().notNull(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
