import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  clicks,
  contacts,
  invitations,
  responses,
  surveys,
  type WebhookEventType,
} from "../db/schema/index.ts";
import { hashToken, isWellFormedToken } from "../surveys/tokens.ts";
import { eventTypesOf, subscribedTypesArray } from "../webhooks/outbox.ts";
import type { RecentClick } from "./burst.ts";

export type InvitationRow = typeof invitations.$inferSelect;
export type SurveyRow = typeof surveys.$inferSelect;
export type ResponseRow = typeof responses.$inferSelect;

export interface TokenTarget {
  invitation: InvitationRow;
  survey: SurveyRow;
  contact: { id: string; locale: string | null; optedOutAt: Date | null };
}

/**
 * The invitation a link token opens, with its survey and contact. `lock` takes the invitation's
 * row lock so that one invitation's clicks are decided one after another, whatever the number
 * of server processes.
 */
export async function findByToken(
  db: Db,
  token: string,
  options: { lock?: boolean } = {},
): Promise<TokenTarget | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const query = db
    .select({
      invitation: invitations,
      survey: surveys,
      contact: { id: contacts.id, locale: contacts.locale, optedOutAt: contacts.optedOutAt },
    })
    .from(invitations)
    .innerJoin(surveys, eq(surveys.id, invitations.surveyId))
    .innerJoin(contacts, eq(contacts.id, invitations.contactId))
    .where(eq(invitations.tokenHash, hashToken(token)));
  const [row] = options.lock ? await query.for("update", { of: invitations }) : await query;
  return row;
}

export async function responseOf(db: Db, invitationId: string): Promise<ResponseRow | undefined> {
  const [row] = await db.select().from(responses).where(eq(responses.invitationId, invitationId));
  return row;
}

/** What a click is decided on, besides its invitation. */
export interface ClickState {
  previous: ResponseRow | undefined;
  /** The invitation's clicks since `since` that took part in a decision (not look-aheads). */
  recent: RecentClick[];
  /** The event types active webhook subscriptions want, read in the same statement. */
  webhookTypes: Set<WebhookEventType>;
}

/**
 * The response and recent clicks of the invitation a token opens, in one statement. Sent right
 * behind `findByToken` on the same connection, it runs once the row lock is held, with a fresh
 * snapshot: it sees everything the clicks before it committed. (A single statement that both
 * waits for the lock and reads the response would read from before the wait.)
 */
export async function clickStateOf(
  db: Db,
  token: string,
  since: Date,
): Promise<ClickState | undefined> {
  const [row] = await db
    .select({
      response: responses,
      recent: sql<RecentClickJson[] | string>`coalesce((
        select json_agg(json_build_object('id', c.id, 'score', c.score, 'verdict', c.verdict,
          'at', c.at, 'userAgent', c.user_agent, 'acceptLanguage', c.accept_language,
          'ipHash', c.ip_hash))
        from ${clicks} c
        where c.invitation_id = ${invitations.id} and c.at > ${since.toISOString()}::timestamptz
          and c.verdict <> 'ignored'), '[]'::json)`,
      webhookTypes: subscribedTypesArray,
    })
    .from(invitations)
    .leftJoin(responses, eq(responses.invitationId, invitations.id))
    .where(eq(invitations.tokenHash, hashToken(token)));
  if (!row) return undefined;
  const recent = typeof row.recent === "string" ? JSON.parse(row.recent) : row.recent;
  return {
    previous: row.response ?? undefined,
    recent: (recent as RecentClickJson[]).map((click) => ({ ...click, at: new Date(click.at) })),
    webhookTypes: eventTypesOf(row.webhookTypes),
  };
}

type RecentClickJson = Omit<RecentClick, "at"> & { at: string };

/** Survey links stop working when the invitation expires or is cancelled. */
export function isClosed(invitation: InvitationRow, now: Date): boolean {
  return invitation.status === "cancelled" || invitation.expiresAt.getTime() <= now.getTime();
}

/** The edit window ends this long after the first recorded answer. */
export function windowEnd(survey: SurveyRow, from: Date): Date {
  return new Date(from.getTime() + survey.editWindowMinutes * 60_000);
}
