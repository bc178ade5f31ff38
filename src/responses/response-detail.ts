import { asc, desc, eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import {
  clicks,
  clients,
  contacts,
  followups,
  members,
  responses,
  surveys,
  teams,
  workItemCredits,
  workItems,
} from "../db/schema/index.ts";

/**
 * One response with what a person needs to judge it: where it came from, who it is credited
 * to (as the metrics credit it), the click evidence behind its state, and its follow-ups.
 */
export interface ResponseDetail {
  response: typeof responses.$inferSelect;
  survey: { key: string };
  client: { externalId: string; name: string };
  workItem: { externalId: string; kind: string; summary: string; board: string | null } | null;
  /** `erased` when the contact asked to be forgotten; null when the response has none. */
  contact: { name: string | null; email: string | null } | "erased" | null;
  attribution: { team: { key: string; name: string }; member: { name: string }; weight: number }[];
  clicks: {
    at: Date;
    score: number;
    verdict: string;
    reason: string | null;
    fromPage: boolean;
    userAgent: string | null;
  }[];
  followups: { id: string; state: string; openedAt: Date }[];
}

/** Undefined when no response has this id. */
export async function responseDetail({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { id: string };
}): Promise<ResponseDetail | undefined> {
  const [row] = await ctx.db
    .select({
      response: responses,
      survey: { key: surveys.key },
      client: { externalId: clients.externalId, name: clients.name },
      // The id first: drizzle reads a left-joined object as absent when its first field is null,
      // and an erased contact has no name.
      contact: {
        id: contacts.id,
        name: contacts.name,
        email: contacts.email,
        erasedAt: contacts.erasedAt,
      },
    })
    .from(responses)
    .innerJoin(surveys, eq(surveys.id, responses.surveyId))
    .innerJoin(clients, eq(clients.id, responses.clientId))
    .leftJoin(contacts, eq(contacts.id, responses.contactId))
    .where(eq(responses.id, input.id));
  if (!row) return undefined;
  const { response } = row;
  const [workItem, attribution, evidence, cases] = await Promise.all([
    response.workItemId
      ? ctx.db
          .select({
            externalId: workItems.externalId,
            kind: workItems.kind,
            summary: workItems.summary,
            board: workItems.board,
          })
          .from(workItems)
          .where(eq(workItems.id, response.workItemId))
          .then((rows) => rows[0] ?? null)
      : null,
    response.workItemId
      ? ctx.db
          .select({
            team: { key: teams.key, name: teams.name },
            member: { name: members.name },
            weight: workItemCredits.weight,
          })
          .from(workItemCredits)
          .innerJoin(teams, eq(teams.id, workItemCredits.teamId))
          .innerJoin(members, eq(members.id, workItemCredits.memberId))
          .where(eq(workItemCredits.workItemId, response.workItemId))
          .orderBy(asc(teams.key), asc(members.name))
      : [],
    response.invitationId
      ? ctx.db
          .select({
            at: clicks.at,
            score: clicks.score,
            verdict: clicks.verdict,
            reason: clicks.reason,
            fromPage: clicks.fromPage,
            userAgent: clicks.userAgent,
          })
          .from(clicks)
          .where(eq(clicks.invitationId, response.invitationId))
          .orderBy(asc(clicks.at), asc(clicks.id))
      : [],
    ctx.db
      .select({ id: followups.id, state: followups.state, openedAt: followups.openedAt })
      .from(followups)
      .where(eq(followups.responseId, response.id))
      .orderBy(desc(followups.openedAt)),
  ]);
  return {
    response,
    survey: row.survey,
    client: row.client,
    workItem,
    contact: row.contact
      ? row.contact.erasedAt
        ? "erased"
        : { name: row.contact.name, email: row.contact.email }
      : null,
    attribution: attribution.map((line) => ({ ...line, weight: Number(line.weight) })),
    clicks: evidence,
    followups: cases,
  };
}
