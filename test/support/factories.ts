import { randomUUID } from "node:crypto";
import type { Db } from "../../src/db/client.ts";
import {
  clients,
  contacts,
  invitations,
  members,
  responses,
  surveys,
  teams,
  touches,
  workItems,
} from "../../src/db/schema/index.ts";
import { hashToken, newTokenNonce, tokenFor } from "../../src/surveys/tokens.ts";

/** Rows with unique values, inserted for real; each takes overrides for what a test cares about. */
const unique = () => randomUUID().slice(0, 8);

export async function createClient(db: Db, overrides: Partial<typeof clients.$inferInsert> = {}) {
  const id = unique();
  const [row] = await db
    .insert(clients)
    .values({
      externalId: `client-${id}`,
      name: `Client ${id}`,
      activeSince: new Date("2025-01-01T00:00:00Z"),
      ...overrides,
    })
    .returning();
  return row!;
}

export async function createContact(
  db: Db,
  overrides: Partial<typeof contacts.$inferInsert> & { clientId?: string } = {},
) {
  const id = unique();
  const clientId = overrides.clientId ?? (await createClient(db)).id;
  const [row] = await db
    .insert(contacts)
    .values({
      externalId: `contact-${id}`,
      email: `person-${id}@client.example`,
      name: `Person ${id}`,
      locale: "en",
      ...overrides,
      clientId,
    })
    .returning();
  return row!;
}

export async function createTeam(db: Db, overrides: Partial<typeof teams.$inferInsert> = {}) {
  const id = unique();
  const [row] = await db
    .insert(teams)
    .values({ key: `team-${id}`, name: `Team ${id}`, ...overrides })
    .returning();
  return row!;
}

export async function createMember(db: Db, overrides: Partial<typeof members.$inferInsert> = {}) {
  const id = unique();
  const [row] = await db
    .insert(members)
    .values({
      externalId: `member-${id}`,
      name: `Member ${id}`,
      email: `tech-${id}@msp.example`,
      ...overrides,
    })
    .returning();
  return row!;
}

export async function createWorkItem(
  db: Db,
  overrides: Partial<typeof workItems.$inferInsert> & { clientId?: string } = {},
) {
  const id = unique();
  const clientId = overrides.clientId ?? (await createClient(db)).id;
  const [row] = await db
    .insert(workItems)
    .values({
      kind: "ticket",
      externalId: `ticket-${id}`,
      summary: `Ticket ${id}`,
      board: "Help Desk",
      status: "closed",
      openedAt: new Date("2026-11-17T09:00:00Z"),
      closedAt: new Date("2026-11-18T16:40:00Z"),
      ...overrides,
      clientId,
    })
    .returning();
  return row!;
}

export async function createTouch(
  db: Db,
  values: { workItemId: string; memberId: string; teamId: string } & Partial<
    typeof touches.$inferInsert
  >,
) {
  const [row] = await db
    .insert(touches)
    .values({ at: new Date("2026-11-18T12:00:00Z"), role: "resource", ...values })
    .returning();
  return row!;
}

export async function createSurvey(db: Db, overrides: Partial<typeof surveys.$inferInsert> = {}) {
  const id = unique();
  const [row] = await db
    .insert(surveys)
    .values({
      key: `survey-${id}`,
      scale: "csat3",
      trigger: "ticket.closed",
      questions: { en: "How did we do?", de: "Wie war unsere Arbeit?" },
      followUpQuestions: { en: "What should we have done differently?" },
      ...overrides,
    })
    .returning();
  return row!;
}

/**
 * An invitation (and what it needs, unless given), answering the row and its link token.
 * `secret` must be the instance secret the app under test uses (see `appSecret`).
 */
export async function createInvitation(
  db: Db,
  secret: string,
  overrides: Partial<typeof invitations.$inferInsert> = {},
) {
  const surveyId = overrides.surveyId ?? (await createSurvey(db)).id;
  const contact = overrides.contactId
    ? { id: overrides.contactId, clientId: overrides.clientId! }
    : await createContact(db, overrides.clientId ? { clientId: overrides.clientId } : {});
  const clientId = overrides.clientId ?? contact.clientId;
  const workItemId =
    overrides.workItemId === undefined
      ? (await createWorkItem(db, { clientId })).id
      : overrides.workItemId;
  const tokenNonce = newTokenNonce();
  const token = tokenFor(secret, tokenNonce);
  const now = new Date("2026-11-18T17:00:00Z");
  const [row] = await db
    .insert(invitations)
    .values({
      status: "sent",
      sendAt: now,
      nextAttemptAt: now,
      sentAt: now,
      expiresAt: new Date(now.getTime() + 14 * 86_400_000),
      ...overrides,
      surveyId,
      contactId: contact.id,
      clientId,
      workItemId,
      tokenNonce,
      tokenHash: hashToken(token),
    })
    .returning();
  return { invitation: row!, token };
}

export async function createResponse(
  db: Db,
  values: Pick<typeof responses.$inferInsert, "surveyId" | "clientId" | "scale" | "score"> &
    Partial<typeof responses.$inferInsert>,
) {
  const at = values.respondedAt ?? new Date("2026-11-18T17:05:00Z");
  const [row] = await db
    .insert(responses)
    .values({ respondedAt: at, finalAt: new Date(at.getTime() + 30 * 60_000), ...values })
    .returning();
  return row!;
}
