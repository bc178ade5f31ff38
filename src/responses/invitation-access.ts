import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { contacts, invitations, responses, surveys } from "../db/schema/index.ts";
import { hashToken, isWellFormedToken } from "../surveys/tokens.ts";

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
 * row lock, as a click's decision does, and bumps its click version: a click decided on an
 * earlier snapshot is decided again after this transaction.
 */
export async function findByToken(
  db: Db,
  token: string,
  options: { lock?: boolean } = {},
): Promise<TokenTarget | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const tokenHash = hashToken(token);
  if (options.lock) {
    await db
      .update(invitations)
      .set({ clickVersion: sql`${invitations.clickVersion} + 1` })
      .where(eq(invitations.tokenHash, tokenHash));
  }
  const [row] = await db
    .select({
      invitation: invitations,
      survey: surveys,
      contact: { id: contacts.id, locale: contacts.locale, optedOutAt: contacts.optedOutAt },
    })
    .from(invitations)
    .innerJoin(surveys, eq(surveys.id, invitations.surveyId))
    .innerJoin(contacts, eq(contacts.id, invitations.contactId))
    .where(eq(invitations.tokenHash, tokenHash));
  return row;
}

export async function responseOf(db: Db, invitationId: string): Promise<ResponseRow | undefined> {
  const [row] = await db.select().from(responses).where(eq(responses.invitationId, invitationId));
  return row;
}

/** Survey links stop working when the invitation expires or is cancelled. */
export function isClosed(
  invitation: Pick<InvitationRow, "status" | "expiresAt">,
  now: Date,
): boolean {
  return invitation.status === "cancelled" || invitation.expiresAt.getTime() <= now.getTime();
}

/** The edit window ends this long after the first recorded answer. */
export function windowEnd(survey: Pick<SurveyRow, "editWindowMinutes">, from: Date): Date {
  return new Date(from.getTime() + survey.editWindowMinutes * 60_000);
}
