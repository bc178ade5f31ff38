import { randomUUID } from "node:crypto";
import type { Db } from "../../src/db/client.ts";
import {
  clients,
  contacts,
  followups,
  invitations,
  members,
  responses,
  surveys,
  teams,
  touches,
  workItems,
} from "../../src/db/schema/index.ts";
import type { CanonicalEventInput } from "../../src/intake/event.ts";
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

/**
 * A book of 20 clients active since 2025: 17 stay, and one leaves on each of `endedOn` (noon UTC),
 * for retention figures.
 */
export async function createClientBook(db: Db, endedOn: string[]) {
  for (let i = 0; i < 20 - endedOn.length; i++) await createClient(db);
  for (const ended of endedOn) {
    await createClient(db, { endedAt: new Date(`${ended}T12:00:00Z`) });
  }
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

/**
 * A closed ticket touched by two members of two teams, with a survey of the given scale: the
 * ground a response (and its follow-up) is recorded on.
 */
export async function createSurveyedWork(db: Db, scale: "csat3" | "csat5" | "nps" = "csat3") {
  const client = await createClient(db);
  const teamA = await createTeam(db);
  const teamB = await createTeam(db);
  const memberA = await createMember(db, { teamId: teamA.id });
  const memberB = await createMember(db, { teamId: teamB.id });
  const workItem = await createWorkItem(db, { clientId: client.id });
  await createTouch(db, { workItemId: workItem.id, memberId: memberA.id, teamId: teamA.id });
  await createTouch(db, {
    workItemId: workItem.id,
    memberId: memberB.id,
    teamId: teamB.id,
    role: "time-entry",
  });
  const survey = await createSurvey(db, { scale });
  return { client, teamA, teamB, memberA, memberB, workItem, survey };
}

/** Inserts a response and tells follow-ups and webhooks, in one transaction as production does. */
export async function recordResponseChange(
  ctx: import("../../src/context.ts").ServiceContext,
  values: Parameters<typeof createResponse>[1],
) {
  const { onResponseChange } = await import("../../src/followups/notify.ts");
  return ctx.db.transaction(async (tx) => {
    const current = await createResponse(tx, values);
    await onResponseChange({ ctx: { ...ctx, db: tx }, input: { previous: undefined, current } });
    return current;
  });
}

/**
 * A response on a work item of its own (`createSurveyedWork`, on a survey of the answer's scale),
 * recorded as production records one: an unhappy score opens its follow-up.
 */
export async function recordAnswer(
  ctx: import("../../src/context.ts").ServiceContext,
  answer: Pick<typeof responses.$inferInsert, "score"> &
    Partial<Omit<typeof responses.$inferInsert, "surveyId" | "clientId" | "workItemId">> & {
      scale?: "csat3" | "csat5" | "nps";
    },
) {
  const scale = answer.scale ?? "csat3";
  const work = await createSurveyedWork(ctx.db, scale);
  const response = await recordResponseChange(ctx, {
    ...answer,
    surveyId: work.survey.id,
    clientId: work.client.id,
    workItemId: work.workItem.id,
    scale,
  });
  return { work, response };
}

/** Changes a response (score, comment, state) and tells follow-ups and webhooks, in one transaction. */
export async function changeResponse(
  ctx: import("../../src/context.ts").ServiceContext,
  id: string,
  changes: Partial<typeof responses.$inferInsert>,
) {
  const { onResponseChange } = await import("../../src/followups/notify.ts");
  const { eq } = await import("drizzle-orm");
  return ctx.db.transaction(async (tx) => {
    const [previous] = await tx.select().from(responses).where(eq(responses.id, id));
    const [current] = await tx
      .update(responses)
      .set({ ...changes, updatedAt: ctx.clock.now() })
      .where(eq(responses.id, id))
      .returning();
    await onResponseChange({ ctx: { ...ctx, db: tx }, input: { previous, current: current! } });
    return current!;
  });
}

/**
 * A canonical `ticket.closed` with unique ids: three touches by two members in two teams
 * (`help-desk`, `centralized-services`) and a contact with an email address.
 */
export function canonicalEvent(overrides: Partial<CanonicalEventInput> = {}): CanonicalEventInput {
  const id = unique();
  return {
    id: `evt-${id}`,
    type: "ticket.closed",
    occurredAt: "2026-11-18T16:42:10Z",
    workItem: {
      externalId: `T-${id}`,
      kind: "ticket",
      summary: "Outlook keeps asking for password",
      board: "Help Desk",
      openedAt: "2026-11-17T09:00:00Z",
      closedAt: "2026-11-18T16:40:00Z",
    },
    client: { externalId: `C-${id}`, name: `Client ${id}` },
    contact: {
      externalId: `P-${id}`,
      email: `person-${id}@client.example`,
      name: `Person ${id}`,
      locale: "en-US",
    },
    touches: [
      {
        member: {
          externalId: `owner-${id}`,
          name: `Owner ${id}`,
          email: `owner-${id}@msp.example`,
        },
        team: "help-desk",
        at: "2026-11-17T09:10:00Z",
        role: "owner",
      },
      {
        member: {
          externalId: `owner-${id}`,
          name: `Owner ${id}`,
          email: `owner-${id}@msp.example`,
        },
        team: "help-desk",
        at: "2026-11-18T10:00:00Z",
        role: "time-entry",
        minutes: 45,
      },
      {
        member: { externalId: `expert-${id}`, name: `Expert ${id}` },
        team: "centralized-services",
        at: "2026-11-18T14:00:00Z",
        role: "escalation",
      },
    ],
    ...overrides,
  };
}

/** `count` invitations of one new survey and client, each to a contact of its own, due now. */
export async function createDueInvitations(db: Db, secret: string, now: Date, count: number) {
  const client = await createClient(db);
  const survey = await createSurvey(db);
  const tag = unique();
  const people = await db
    .insert(contacts)
    .values(
      Array.from({ length: count }, (_, i) => ({
        clientId: client.id,
        externalId: `due-${tag}-${i}`,
        email: `person-${i}@due-${tag}.example`,
        name: `Person ${i}`,
      })),
    )
    .returning({ id: contacts.id });
  await db.insert(invitations).values(
    people.map((person) => {
      const nonce = newTokenNonce();
      return {
        surveyId: survey.id,
        contactId: person.id,
        clientId: client.id,
        tokenNonce: nonce,
        tokenHash: hashToken(tokenFor(secret, nonce)),
        status: "scheduled" as const,
        sendAt: now,
        nextAttemptAt: now,
        expiresAt: new Date(now.getTime() + 14 * 86_400_000),
      };
    }),
  );
  return { client, survey };
}

/**
 * `total` open follow-ups of unhappy csat3 answers, opened ten minutes apart before `now`,
 * newest first; the oldest `overdue` of them are past their due time. In two statements.
 */
export async function createOpenFollowups(
  db: Db,
  input: {
    surveyId: string;
    clientId: string;
    workItemId?: string;
    now: Date;
    total: number;
    overdue: number;
  },
) {
  const { total, overdue, workItemId } = input;
  const now = input.now.getTime();
  const opened = Array.from({ length: total }, (_, i) => new Date(now - (i + 1) * 600_000));
  const rows = await db
    .insert(responses)
    .values(
      opened.map((at) => ({
        surveyId: input.surveyId,
        clientId: input.clientId,
        workItemId,
        scale: "csat3" as const,
        score: 1,
        respondedAt: at,
        finalAt: new Date(at.getTime() + 1_800_000),
      })),
    )
    .returning({ id: responses.id });
  await db.insert(followups).values(
    rows.map((row, i) => ({
      responseId: row.id,
      clientId: input.clientId,
      workItemId,
      openedAt: opened[i]!,
      dueAt: new Date(i >= total - overdue ? now - 60_000 : now + 86_400_000),
    })),
  );
  return opened;
}
