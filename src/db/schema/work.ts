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
import { clients, contacts, members, teams } from "./directory.ts";

/** Tickets and projects from the PSA. */
export const workItems = pgTable(
  "work_items",
  {
    id: uuid().primaryKey().defaultRandom(),
    kind: text({ enum: ["ticket", "project"] }).notNull(),
    externalId: text().notNull(),
    /** The number people see in the PSA when it differs from its id (Autotask `T20261118.0042`). */
    reference: text(),
    clientId: uuid()
      .notNull()
      .references(() => clients.id),
    contactId: uuid().references(() => contacts.id),
    summary: text().notNull().default(""),
    board: text(),
    status: text({ enum: ["open", "closed", "reopened"] })
      .notNull()
      .default("open"),
    openedAt: timestamp({ withTimezone: true }),
    closedAt: timestamp({ withTimezone: true }),
    firstResponseAt: timestamp({ withTimezone: true }),
    /**
     * When the newest event applied to the item happened (`occurredAt`): an older event
     * delivered late adds its touches but changes neither status, board nor parties.
     */
    eventAt: timestamp({ withTimezone: true }),
    /** When the event that set the current status happened: an older close or reopen loses. */
    statusAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Intake upserts by the PSA's id: `on conflict (kind, external_id)`.
    uniqueIndex().on(t.kind, t.externalId),
    // A client's work: `where client_id = $1`.
    index().on(t.clientId),
  ],
);

/** Who touched a work item, in which team at that moment, when, and for how long. */
export const touches = pgTable(
  "touches",
  {
    id: uuid().primaryKey().defaultRandom(),
    workItemId: uuid()
      .notNull()
      .references(() => workItems.id),
    memberId: uuid()
      .notNull()
      .references(() => members.id),
    teamId: uuid()
      .notNull()
      .references(() => teams.id),
    role: text({ enum: ["owner", "resource", "time-entry", "note", "escalation"] })
      .notNull()
      .default("resource"),
    at: timestamp({ withTimezone: true }).notNull(),
    minutes: integer(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A redelivered event must not add a touch twice: `on conflict do nothing`.
    uniqueIndex().on(t.workItemId, t.memberId, t.teamId, t.role, t.at),
    // Attribution of one work item's responses: `where work_item_id = $1`.
    index().on(t.workItemId),
    // Member pages (`where member_id = $1`), and intake's check for a later touch of a member
    // (`where member_id = $1 and at > $2`), one probe however many touches the member has.
    index().on(t.memberId, t.at),
  ],
);

/** Every accepted canonical event, keyed by its producer's id so a repeat is ignored. */
export const events = pgTable(
  "events",
  {
    id: uuid().primaryKey().defaultRandom(),
    source: text().notNull(),
    externalId: text().notNull(),
    type: text().notNull(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    workItemId: uuid().references(() => workItems.id),
    payload: jsonb().notNull(),
    outcome: jsonb().notNull(),
  },
  (t) => [
    // Idempotency: `on conflict (source, external_id) do nothing`.
    uniqueIndex().on(t.source, t.externalId),
  ],
);

/** PSA connections: vendor, credentials (encrypted at rest, never returned), mappings. */
export const integrations = pgTable("integrations", {
  id: uuid().primaryKey().defaultRandom(),
  vendor: text({ enum: ["connectwise", "autotask", "halopsa"] }).notNull(),
  name: text().notNull(),
  active: boolean().notNull().default(true),
  baseUrl: text(),
  settings: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  encryptedSecrets: text(),
  boardTeams: jsonb().$type<Record<string, string>>().notNull().default({}),
  statusMap: jsonb().$type<Record<string, string>>().notNull().default({}),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** Deliveries an adapter could not map, kept with the reason for listing and replay. */
export const deadLetters = pgTable(
  "dead_letters",
  {
    id: uuid().primaryKey().defaultRandom(),
    source: text().notNull(),
    // Deleting an integration deletes the deliveries kept for it.
    integrationId: uuid().references(() => integrations.id, { onDelete: "cascade" }),
    reason: text().notNull(),
    field: text(),
    body: text().notNull(),
    headers: jsonb().$type<Record<string, string>>().notNull().default({}),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    replayedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // Admin listing, newest first with a cursor: `order by received_at desc, id desc`.
    index().on(t.receivedAt, t.id),
  ],
);
