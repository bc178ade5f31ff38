import {
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { clients, contacts } from "./directory.ts";
import { invitations, scales, surveys } from "./surveys.ts";
import { workItems } from "./work.ts";

export const responseStates = ["recorded", "quarantined", "flagged"] as const;

/**
 * The answer to an invitation (at most one, enforced by the unique index), or a score
 * collected elsewhere and posted through the API. Only `recorded` responses count.
 */
export const responses = pgTable(
  "responses",
  {
    id: uuid().primaryKey().defaultRandom(),
    invitationId: uuid().references(() => invitations.id),
    surveyId: uuid()
      .notNull()
      .references(() => surveys.id),
    workItemId: uuid().references(() => workItems.id),
    clientId: uuid()
      .notNull()
      .references(() => clients.id),
    contactId: uuid().references(() => contacts.id),
    scale: text({ enum: scales }).notNull(),
    score: integer().notNull(),
    state: text({ enum: responseStates }).notNull().default("recorded"),
    comment: text(),
    source: text({ enum: ["email", "api"] })
      .notNull()
      .default("email"),
    idempotencyKey: text(),
    // SHA-256 of the API request that created the response: a replay with another body is a 409.
    requestHash: text(),
    respondedAt: timestamp({ withTimezone: true }).notNull(),
    finalAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One response per invitation, even under concurrent clicks.
    uniqueIndex().on(t.invitationId),
    // `POST /v1/responses` replays: one response per idempotency key.
    uniqueIndex().on(t.idempotencyKey),
    // The feed's cursor: `order by updated_at, id` with `updated_at >= $1`.
    index().on(t.updatedAt, t.id),
    // Metrics by period: `where responded_at >= $1 and responded_at < $2`.
    index().on(t.respondedAt),
    // Attribution joins from touches: `where work_item_id = $1`.
    index().on(t.workItemId),
  ],
);

/**
 * Every click on a score link, kept as evidence whatever its verdict, and a comment that set or
 * changed the answer (reason `comment`).
 */
export const clicks = pgTable(
  "clicks",
  {
    id: uuid().primaryKey().defaultRandom(),
    invitationId: uuid()
      .notNull()
      .references(() => invitations.id),
    score: integer().notNull(),
    verdict: text({
      enum: ["recorded", "changed", "quarantined", "flagged", "final", "ignored"],
    }).notNull(),
    reason: text(),
    userAgent: text(),
    acceptLanguage: text(),
    ipHash: text(),
    /**
     * Given on the thank-you page itself (its score links, or its comment form when that set
     * the answer): a person, never part of a burst.
     */
    fromPage: boolean().notNull().default(false),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Burst detection reads an invitation's recent clicks: `where invitation_id = $1 and at > $2`.
    index().on(t.invitationId, t.at),
  ],
);
