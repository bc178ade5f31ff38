import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

export const webhookEventTypes = [
  "response.recorded",
  "response.changed",
  "followup.opened",
  "followup.overdue",
  "followup.resolved",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export const webhookFormats = ["standard", "slack", "teams"] as const;
export type WebhookFormat = (typeof webhookFormats)[number];

/**
 * Where events are sent. The signing secret is kept encrypted (AES-256-GCM under a key derived
 * from the instance secret), not hashed: every delivery must be signed with it.
 */
export const webhookSubscriptions = pgTable("webhook_subscriptions", {
  id: uuid().primaryKey().defaultRandom(),
  url: text().notNull(),
  description: text(),
  eventTypes: text({ enum: webhookEventTypes }).array().notNull(),
  format: text({ enum: webhookFormats }).notNull().default("standard"),
  active: boolean().notNull().default(true),
  encryptedSecret: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const deliveryStatuses = ["pending", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/**
 * The outbox: one row per event and subscription, written in the transaction that caused the
 * event. `series` counts replays; `firstAttemptAt` starts the retry window of the series.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid().primaryKey().defaultRandom(),
    subscriptionId: uuid()
      .notNull()
      .references(() => webhookSubscriptions.id),
    eventId: uuid().notNull(),
    eventType: text({ enum: webhookEventTypes }).notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text({ enum: deliveryStatuses }).notNull().default("pending"),
    series: integer().notNull().default(1),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }).notNull(),
    firstAttemptAt: timestamp({ withTimezone: true }),
    lastAttemptAt: timestamp({ withTimezone: true }),
    lastError: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The worker's claim: `where status = 'pending' and next_attempt_at <= $1 for update skip locked`.
    index().on(t.nextAttemptAt).where(sql`status = 'pending'`),
    // `GET /v1/webhooks/deliveries?subscription=`: `where subscription_id = $1 order by created_at desc, id desc`.
    index().on(t.subscriptionId, t.createdAt, t.id),
    index().on(t.createdAt, t.id),
  ],
);

/** Every HTTP attempt of a delivery, kept for the API. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: uuid().primaryKey().defaultRandom(),
    deliveryId: uuid()
      .notNull()
      .references(() => webhookDeliveries.id),
    series: integer().notNull(),
    number: integer().notNull(),
    at: timestamp({ withTimezone: true }).notNull(),
    statusCode: integer(),
    error: text(),
    responseBody: text(),
    durationMs: integer().notNull(),
  },
  (t) => [
    // A delivery's attempts in order: `where delivery_id = $1 order by at`.
    index().on(t.deliveryId, t.at),
  ],
);
