import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiKeys } from "./access.ts";

/**
 * Dashboard sessions, made by signing in with an API key. Only the SHA-256 of the session token
 * is stored; a session lives while its key is unrevoked and before `expiresAt`.
 */
export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    id: uuid().primaryKey().defaultRandom(),
    // Every dashboard request finds its session: `where token_hash = $1`.
    tokenHash: text().notNull().unique(),
    apiKeyId: uuid()
      .notNull()
      .references(() => apiKeys.id),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    // Expired-session clean-up: `where expires_at < $1`.
    index().on(t.expiresAt),
  ],
);
