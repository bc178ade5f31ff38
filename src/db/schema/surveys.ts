import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { clients, contacts } from "./directory.ts";
import { workItems } from "./work.ts";

export const scales = ["csat3", "csat5", "nps"] as const;
export type Scale = (typeof scales)[number];

/** Survey definitions are data: scale, trigger, copy per locale and the sending rules. */
export const surveys = pgTable("surveys", {
  id: uuid().primaryKey().defaultRandom(),
  key: text().notNull().unique(),
  scale: text({ enum: scales }).notNull(),
  trigger: text({ enum: ["ticket.closed", "project.completed", "manual"] }).notNull(),
  questions: jsonb().$type<Record<string, string>>().notNull().default({}),
  followUpQuestions: jsonb().$type<Record<string, string>>().notNull().default({}),
  delayMinutes: integer().notNull().default(0),
  throttleDays: integer().notNull().default(0),
  reminderAfterHours: integer(),
  expiresAfterDays: integer().notNull().default(14),
  editWindowMinutes: integer().notNull().default(30),
  boards: text().array().notNull().default([]),
  teams: text().array().notNull().default([]),
  active: boolean().notNull().default(true),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * One entry of an invitation's click window: a sender (a hash of the click's user agent,
 * languages and address hash), a score it opened, and when it last did (epoch milliseconds).
 */
export type ClickWindowEntry = [sender: string, score: number, at: number];

export const invitationStatuses = ["scheduled", "sending", "sent", "failed", "cancelled"] as const;

/**
 * One survey sent to one contact; also the outbox the worker claims from. The link token is
 * derived from `tokenNonce` and the instance secret; only its hash is stored.
 */
export const invitations = pgTable(
  "invitations",
  {
    id: uuid().primaryKey().defaultRandom(),
    surveyId: uuid()
      .notNull()
      .references(() => surveys.id),
    workItemId: uuid().references(() => workItems.id),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id),
    clientId: uuid()
      .notNull()
      .references(() => clients.id),
    campaignId: text(),
    tokenHash: text().notNull().unique(),
    tokenNonce: text().notNull(),
    status: text({ enum: invitationStatuses }).notNull().default("scheduled"),
    sendAt: timestamp({ withTimezone: true }).notNull(),
    nextAttemptAt: timestamp({ withTimezone: true }).notNull(),
    attempts: integer().notNull().default(0),
    lastError: text(),
    providerMessageId: text(),
    sentAt: timestamp({ withTimezone: true }),
    deliveredAt: timestamp({ withTimezone: true }),
    openedAt: timestamp({ withTimezone: true }),
    reminderStatus: text({
      enum: ["none", "scheduled", "sending", "sent", "failed", "cancelled"],
    })
      .notNull()
      .default("none"),
    reminderDueAt: timestamp({ withTimezone: true }),
    reminderAttempts: integer().notNull().default(0),
    reminderSentAt: timestamp({ withTimezone: true }),
    reminderProviderMessageId: text(),
    /**
     * The provider batch this row is in flight in (survey or reminder); a retry re-sends the
     * very same batch under the same idempotency key, so the provider can drop a duplicate.
     */
    batchKey: text(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    /**
     * Bumped by every decision on a click of this invitation. A click decided on a snapshot,
     * without the row lock, commits only while the version is still the one it read.
     */
    clickVersion: integer().notNull().default(0),
    /**
     * Who opened which score of this invitation lately, kept with each click decision so a click
     * can be checked against the scanner burst window without reading the clicks (see
     * `src/responses/burst.ts`). Null when unknown: the next click is decided under the
     * row lock, from the clicks themselves, and writes it again.
     */
    clickWindow: jsonb().$type<ClickWindowEntry[] | null>().default(sql`'[]'::jsonb`),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A work item is surveyed once per survey, whatever reopens and redeliveries happen.
    uniqueIndex().on(t.surveyId, t.workItemId),
    // A campaign reaches a contact once.
    uniqueIndex().on(t.surveyId, t.campaignId, t.contactId),
    // The worker's claim: `where status = 'scheduled' and next_attempt_at <= now()`.
    index().on(t.status, t.nextAttemptAt),
    // Throttle look-up: a contact's recent invitations, `where contact_id = $1 and created_at > $2`.
    index().on(t.contactId, t.createdAt),
    // Invitations of a work item: `where work_item_id = $1`.
    index().on(t.workItemId),
    // Response rate by send time: `where sent_at >= $1 and sent_at < $2`.
    index().on(t.sentAt),
    // Resend webhooks find the invitation by the provider's email id.
    index().on(t.providerMessageId),
    // ... or by the reminder's email id.
    index().on(t.reminderProviderMessageId),
    // The reminder claim: `where reminder_status = 'scheduled' and reminder_due_at <= now()`.
    index().on(t.reminderStatus, t.reminderDueAt),
    // Re-claiming an interrupted batch as a whole: `where batch_key = $1`.
    index().on(t.batchKey),
  ],
);

/** An invitation's history: scheduled, attempts, sent, delivered, opened, bounced... */
export const invitationEvents = pgTable(
  "invitation_events",
  {
    id: uuid().primaryKey().defaultRandom(),
    invitationId: uuid()
      .notNull()
      .references(() => invitations.id),
    type: text().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    detail: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    // History of one invitation, in order: `where invitation_id = $1 order by at`.
    index().on(t.invitationId, t.at),
  ],
);

/** Emails kept by the local transport (the zero-config default) instead of being sent. */
export const outboxEmails = pgTable(
  "outbox_emails",
  {
    id: uuid().primaryKey().defaultRandom(),
    invitationId: uuid().references(() => invitations.id),
    to: text().notNull(),
    from: text().notNull(),
    subject: text().notNull(),
    html: text().notNull(),
    text: text().notNull(),
    headers: jsonb().$type<Record<string, string>>().notNull().default({}),
    idempotencyKey: text().notNull().unique(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // `GET /v1/outbox` lists newest first.
    index().on(t.createdAt),
  ],
);
