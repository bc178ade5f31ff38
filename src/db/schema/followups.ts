import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { clients } from "./directory.ts";
import { responses } from "./responses.ts";
import { workItems } from "./work.ts";

export const followupStates = ["open", "acknowledged", "resolved"] as const;
export type FollowupState = (typeof followupStates)[number];

/**
 * A case opened by an unhappy score. `teamIds` and `memberIds` keep who had touched the work
 * item when the case opened; who the case is about (its teams and members, the team filter,
 * digests) is read from the item's current credit, so late touches count as in the metrics.
 * `dueAt` is when a still-`open` case becomes overdue (business hours, fixed at opening).
 */
export const followups = pgTable(
  "followups",
  {
    id: uuid().primaryKey().defaultRandom(),
    responseId: uuid()
      .notNull()
      .references(() => responses.id),
    workItemId: uuid().references(() => workItems.id),
    clientId: uuid()
      .notNull()
      .references(() => clients.id),
    teamIds: uuid().array().notNull().default(sql`'{}'::uuid[]`),
    memberIds: uuid().array().notNull().default(sql`'{}'::uuid[]`),
    state: text({ enum: followupStates }).notNull().default("open"),
    owner: text(),
    openedAt: timestamp({ withTimezone: true }).notNull(),
    dueAt: timestamp({ withTimezone: true }).notNull(),
    acknowledgedAt: timestamp({ withTimezone: true }),
    resolvedAt: timestamp({ withTimezone: true }),
    overdueNotifiedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // At most one unresolved case per response, even when two changes race.
    uniqueIndex("followups_one_unresolved_per_response")
      .on(t.responseId)
      .where(sql`state <> 'resolved'`),
    // A response's cases, resolved ones too (the case rapport resolved is opened again).
    index().on(t.responseId),
    // The listing's cursor: `order by opened_at desc, id desc`, optionally `where state = $1`.
    index().on(t.state, t.openedAt, t.id),
    index().on(t.openedAt, t.id),
    // The overdue job: `where state = 'open' and overdue_notified_at is null and due_at <= $1`.
    index().on(t.dueAt).where(sql`state = 'open' and overdue_notified_at is null`),
    // Who a case was about when it opened: `where $1 = any(team_ids)`.
    index().using("gin", t.teamIds),
  ],
);

/** Notes on a case, by a person (the API key's name) or by rapport itself (`automatic`). */
export const followupNotes = pgTable(
  "followup_notes",
  {
    id: uuid().primaryKey().defaultRandom(),
    followupId: uuid()
      .notNull()
      .references(() => followups.id),
    author: text().notNull(),
    body: text().notNull(),
    automatic: boolean().notNull().default(false),
    at: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    // A case's notes in order: `where followup_id = $1 order by at`.
    index().on(t.followupId, t.at),
  ],
);
