import { eq, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { surveys } from "../db/schema/index.ts";
import { issueToken } from "./tokens.ts";

export type SkipReason =
  | "no_survey"
  | "survey_inactive"
  | "not_applicable"
  | "client_excluded"
  | "opted_out"
  | "bounced"
  | "no_email"
  | "throttled"
  | "already_surveyed"
  | "no_contact";

export type InvitationDecision =
  | { status: "scheduled"; id: string; surveyKey: string; sendAt: string }
  | { status: "skipped"; reason: SkipReason; surveyKey: string | null };

export type Survey = typeof surveys.$inferSelect;
type Trigger = Survey["trigger"];

const DAY_MS = 86_400_000;

function applies(survey: Survey, board: string | null, teamKeys: string[]): boolean {
  const boardOk =
    survey.boards.length === 0 ||
    (board !== null && survey.boards.some((b) => b.toLowerCase() === board.toLowerCase()));
  const teamOk = survey.teams.length === 0 || survey.teams.some((t) => teamKeys.includes(t));
  return boardOk && teamOk;
}

function specificity(survey: Survey): number {
  return (survey.boards.length > 0 ? 1 : 0) + (survey.teams.length > 0 ? 1 : 0);
}

/**
 * The one survey a work item's event triggers: among the active surveys for this trigger whose
 * board and team filters match (an empty filter matches all), the most specific, then the
 * oldest. When none fits, the reason why.
 */
export async function chooseSurvey(
  { ctx }: { ctx: Pick<ServiceContext, "db"> },
  input: { trigger: Trigger; board: string | null; teamKeys: string[] },
): Promise<{ survey: Survey } | { skip: InvitationDecision & { status: "skipped" } }> {
  const candidates = await ctx.db
    .select()
    .from(surveys)
    .where(eq(surveys.trigger, input.trigger))
    .orderBy(surveys.createdAt, surveys.id);
  if (candidates.length === 0) {
    return { skip: { status: "skipped", reason: "no_survey", surveyKey: null } };
  }
  const fitting = candidates.filter((s) => applies(s, input.board, input.teamKeys));
  const active = fitting.filter((s) => s.active);
  if (active.length > 0) {
    const [best] = active.sort((a, b) => specificity(b) - specificity(a));
    return { survey: best! };
  }
  if (fitting.length > 0) {
    return { skip: { status: "skipped", reason: "survey_inactive", surveyKey: fitting[0]!.key } };
  }
  return { skip: { status: "skipped", reason: "not_applicable", surveyKey: candidates[0]!.key } };
}

export interface Recipient {
  contact: {
    id: string;
    email: string | null;
    optedOutAt: Date | null;
    bouncedAt: Date | null;
    complainedAt: Date | null;
  } | null;
  client: { id: string; excludeFromSurveys: boolean };
}

/**
 * Schedules one invitation, or answers why not. Must run inside the caller's transaction: the
 * per-contact advisory lock serialises concurrent scheduling for one contact until it commits,
 * so the throttle holds under concurrency; the unique indexes make "once per work item" and
 * "once per campaign" hold whatever happens.
 */
export async function scheduleInvitation(
  { ctx }: { ctx: ServiceContext },
  input: Recipient & {
    survey: Survey;
    target: { workItemId: string } | { campaignId: string };
    /** The instance secret, from `appSecret` outside the transaction. */
    secret: string;
  },
): Promise<InvitationDecision> {
  const { survey, contact, client } = input;
  const skip = (reason: SkipReason): InvitationDecision => ({
    status: "skipped",
    reason,
    surveyKey: survey.key,
  });
  if (!survey.active) return skip("survey_inactive");
  if (!contact) return skip("no_contact");
  if (client.excludeFromSurveys) return skip("client_excluded");
  if (contact.optedOutAt) return skip("opted_out");
  if (contact.bouncedAt || contact.complainedAt) return skip("bounced");
  if (!contact.email) return skip("no_email");

  const workItemId = "workItemId" in input.target ? input.target.workItemId : null;
  const campaignId = "campaignId" in input.target ? input.target.campaignId : null;
  const now = ctx.clock.now();
  const at = now.toISOString();
  if (survey.throttleDays > 0) {
    await ctx.db.execute(sql`select pg_advisory_xact_lock(hashtext(${contact.id}))::text`);
  }
  // After the lock, so a concurrent scheduling for this contact has committed or not begun.
  const since = new Date(now.getTime() - survey.throttleDays * DAY_MS).toISOString();
  const [check] = await queryRows<{ already: boolean; throttled: boolean }>(
    ctx.db,
    sql`select
      exists (select 1 from invitations where survey_id = ${survey.id} and ${
        workItemId
          ? sql`work_item_id = ${workItemId}`
          : sql`campaign_id = ${campaignId} and contact_id = ${contact.id}`
      }) as already,
      ${survey.throttleDays > 0} and exists (
        select 1 from invitations i join surveys s on s.id = i.survey_id
        where i.contact_id = ${contact.id} and i.created_at > ${since}::timestamptz
          and i.status <> 'cancelled' and s.scale = ${survey.scale}
      ) as throttled`,
  );
  if (check?.already) return skip("already_surveyed");
  if (check?.throttled) return skip("throttled");

  const sendAt = new Date(now.getTime() + survey.delayMinutes * 60_000);
  const expiresAt = new Date(sendAt.getTime() + survey.expiresAfterDays * DAY_MS);
  const { tokenNonce, tokenHash } = issueToken(input.secret);
  const detail = JSON.stringify({ surveyKey: survey.key, sendAt: sendAt.toISOString() });
  // The invitation and the first line of its history in one statement.
  const [created] = await queryRows<{ id: string }>(
    ctx.db,
    sql`with created as (
          insert into invitations (survey_id, work_item_id, campaign_id, contact_id, client_id,
            token_nonce, token_hash, status, send_at, next_attempt_at, expires_at, created_at, updated_at)
          values (${survey.id}, ${workItemId}, ${campaignId}, ${contact.id}, ${client.id},
            ${tokenNonce}, ${tokenHash}, 'scheduled', ${sendAt.toISOString()}::timestamptz,
            ${sendAt.toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz,
            ${at}::timestamptz, ${at}::timestamptz)
          on conflict do nothing
          returning id),
        history as (
          insert into invitation_events (invitation_id, type, at, detail)
          select id, 'scheduled', ${at}::timestamptz, ${detail}::jsonb from created)
        select id from created`,
  );
  if (!created) return skip("already_surveyed");
  return {
    status: "scheduled",
    id: created.id,
    surveyKey: survey.key,
    sendAt: sendAt.toISOString(),
  };
}
