import { boolean, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

const timestamps = {
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
};

/** The MSP's customers. `activeSince`/`endedAt` drive client retention. */
export const clients = pgTable(
  "clients",
  {
    id: uuid().primaryKey().defaultRandom(),
    externalId: text().notNull().unique(),
    name: text().notNull(),
    activeSince: timestamp({ withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp({ withTimezone: true }),
    excludeFromSurveys: boolean().notNull().default(false),
    /**
     * When the name was last set: the event's `occurredAt`, or the time of a directory write. An
     * older event delivered later does not set it back. Null: unknown (any event sets it).
     */
    detailsAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    // Cursor-paginated listing: `order by created_at, id`.
    index().on(t.createdAt, t.id),
  ],
);

/** People at a client who receive surveys. Erasure blanks the personal fields. */
export const contacts = pgTable(
  "contacts",
  {
    id: uuid().primaryKey().defaultRandom(),
    clientId: uuid()
      .notNull()
      .references(() => clients.id),
    externalId: text().notNull().unique(),
    email: text(),
    name: text(),
    locale: text(),
    optedOutAt: timestamp({ withTimezone: true }),
    bouncedAt: timestamp({ withTimezone: true }),
    complainedAt: timestamp({ withTimezone: true }),
    erasedAt: timestamp({ withTimezone: true }),
    /**
     * After erasure, a hash of the external id the contact had (`erasedContactKey`): an event or
     * a directory write naming that id again finds the erased contact instead of recreating them.
     */
    erasedKey: text().unique(),
    /** When client, email, name and locale were last set (see `clients.detailsAt`). */
    detailsAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    // A client's contacts, and campaigns over the selected clients: `where client_id = $1`.
    index().on(t.clientId),
    // Resend bounce/complaint webhooks find the contact by address: `where lower(email) = $1`.
    index().on(t.email),
  ],
);

/** Teams are addressed by a stable key such as `help-desk`. */
export const teams = pgTable("teams", {
  id: uuid().primaryKey().defaultRandom(),
  key: text().notNull().unique(),
  name: text().notNull(),
  leadEmail: text(),
  ...timestamps,
});

/** Technicians. `teamId` is the current team; touches keep the team of their moment. */
export const members = pgTable(
  "members",
  {
    id: uuid().primaryKey().defaultRandom(),
    externalId: text().notNull().unique(),
    name: text().notNull(),
    email: text(),
    teamId: uuid().references(() => teams.id),
    /**
     * When name and email were last set: the time of the touch that named them, or of a
     * directory write. An older event delivered later does not set them back. Null: unknown.
     */
    detailsAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    // Team pages list current members: `where team_id = $1`.
    index().on(t.teamId),
  ],
);
