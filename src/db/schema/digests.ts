import { integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { teams } from "./directory.ts";

export const digestStatuses = ["pending", "sent", "failed"] as const;

/**
 * One weekly digest per team and week. The unique index makes "exactly one" hold with any
 * number of workers: rows are created with `on conflict do nothing` and claimed with
 * `FOR UPDATE SKIP LOCKED`.
 */
export const digests = pgTable(
  "digests",
  {
    id: uuid().primaryKey().defaultRandom(),
    teamId: uuid()
      .notNull()
      .references(() => teams.id),
    // ISO week of the digest's send time, such as `2026-W48`; the digest covers the week before.
    week: text().notNull(),
    periodStart: timestamp({ withTimezone: true }).notNull(),
    periodEnd: timestamp({ withTimezone: true }).notNull(),
    status: text({ enum: digestStatuses }).notNull().default("pending"),
    toEmail: text().notNull(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }).notNull(),
    lastError: text(),
    providerMessageId: text(),
    sentAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Exactly one digest per team and week; the job's claim scans pending rows, which are few.
    uniqueIndex().on(t.teamId, t.week),
  ],
);
