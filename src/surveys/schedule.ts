import type { ServiceContext } from "../context.ts";
import { parsedJson, queryStatement } from "../db/client.ts";
import type { surveys } from "../db/schema/index.ts";
import { type Fragment, nothing, stmt } from "../db/statement.ts";
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
  | "no_contact"
  | "contact_erased";

export type InvitationDecision =
  | { status: "scheduled"; id: string; surveyKey: string; sendAt: string }
  | { status: "skipped"; reason: SkipReason; surveyKey: string | null };

export type Survey = typeof surveys.$inferSelect;
type Trigger = Survey["trigger"];

/** What choosing and scheduling read of a survey definition. */
export type SchedulingSurvey = Pick<
  Survey,
  | "id"
  | "key"
  | "scale"
  | "active"
  | "boards"
  | "teams"
  | "delayMinutes"
  | "throttleDays"
  | "expiresAfterDays"
>;

const DAY_MS = 86_400_000;

/**
 * A scalar subquery answering, as one JSON array, the surveys with this trigger, oldest first:
 * the candidates `chooseSurvey` picks from. Read in the statement that records the event, so
 * the choice always sees the definitions as they are now.
 */
export function surveyCandidatesSql(trigger: Trigger): Fragment {
  return stmt`(select coalesce(json_agg(json_build_object(
      'id', id, 'key', key, 'scale', scale, 'active', active, 'boards', boards, 'teams', teams,
      'delayMinutes', delay_minutes, 'throttleDays', throttle_days,
      'expiresAfterDays', expires_after_days) order by created_at, id), '[]'::json)
    from surveys where trigger = ${trigger}::text)`;
}

function applies(survey: SchedulingSurvey, board: string | null, teamKeys: string[]): boolean {
  const boardOk =
    survey.boards.length === 0 ||
    (board !== null && survey.boards.some((b) => b.toLowerCase() === board.toLowerCase()));
  const teamOk = survey.teams.length === 0 || survey.teams.some((t) => teamKeys.includes(t));
  return boardOk && teamOk;
}

function specificity(survey: SchedulingSurvey): number {
  return (survey.boards.length > 0 ? 1 : 0) + (survey.teams.length > 0 ? 1 : 0);
}

/**
 * The one survey a work item's event triggers: among the active candidates (the surveys for
 * the trigger, oldest first) whose board and team filters match (an empty filter matches all),
 * the most specific, then the oldest. When none fits, the reason why.
 */
export function chooseSurvey(
  candidates: SchedulingSurvey[],
  input: { board: string | null; teamKeys: string[] },
): { survey: SchedulingSurvey } | { skip: InvitationDecision & { status: "skipped" } } {
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
    /** Erased contacts are never surveyed; campaigns leave them out before scheduling. */
    erasedAt?: Date | null;
  } | null;
  client: { id: string; excludeFromSurveys: boolean };
}

/**
 * Schedules one invitation, or answers why not. Must run inside the caller's transaction: the
 * per-contact advisory lock serialises concurrent scheduling for one contact until it commits,
 * so the throttle holds under concurrency; the unique indexes make "once per work item" and
 * "once per campaign" hold whatever happens (for one survey; a work item's events are serialised
 * by its row lock, so it gets one invitation whichever survey its events choose). The lock is taken only when the survey throttles,
 * and after every row lock the caller took, so waiting for it never closes a cycle.
 */
export async function scheduleInvitation(
  { ctx }: { ctx: ServiceContext },
  input: Recipient & {
    survey: SchedulingSurvey;
    target: { workItemId: string } | { campaignId: string };
    /** The instance secret, from `appSecret` outside the transaction. */
    secret: string;
    /**
     * CTEs that record the decision, given it as a `json` expression: they run in the scheduling
     * statement itself (or, for a decision made before any, in a statement of their own), so the
     * caller's record of it costs no round trip.
     */
    record?: (decision: Fragment) => Fragment;
  },
): Promise<InvitationDecision> {
  const { survey, contact, client } = input;
  const reason = recipientSkip(survey, contact, client);
  if (reason || !contact) {
    const decision: InvitationDecision = {
      status: "skipped",
      reason: reason ?? "no_contact",
      surveyKey: survey.key,
    };
    if (input.record) {
      await queryStatement(
        ctx.db,
        "schedule_record",
        stmt`with ${input.record(stmt`${JSON.stringify(decision)}::json`)} select 1`,
      );
    }
    return decision;
  }

  const workItemId = "workItemId" in input.target ? input.target.workItemId : null;
  const campaignId = "campaignId" in input.target ? input.target.campaignId : null;
  const now = ctx.clock.now();
  const at = now.toISOString();
  const since = new Date(now.getTime() - survey.throttleDays * DAY_MS).toISOString();
  const sendAt = new Date(now.getTime() + survey.delayMinutes * 60_000);
  const expiresAt = new Date(sendAt.getTime() + survey.expiresAfterDays * DAY_MS);
  const { tokenNonce, tokenHash } = issueToken(input.secret);
  const detail = JSON.stringify({ surveyKey: survey.key, sendAt: sendAt.toISOString() });
  // The checks, the invitation and the first line of its history in one statement.
  const decide = stmt`with checked as (
      select
        exists (select 1 from invitations where ${
          workItemId
            ? // One survey per work item, whichever: a reopened ticket closed again on another
              // board, with a survey of its own, is not surveyed twice.
              stmt`work_item_id = ${workItemId}`
            : stmt`survey_id = ${survey.id} and campaign_id = ${campaignId} and contact_id = ${contact.id}`
        }) as already,
        ${survey.throttleDays > 0} and exists (
          select 1 from invitations i join surveys s on s.id = i.survey_id
          where i.contact_id = ${contact.id} and i.created_at > ${since}::timestamptz
            -- A survey that never went out (cancelled, or failed for good) surveyed nobody.
            and i.status not in ('cancelled', 'failed') and s.scale = ${survey.scale}
        ) as throttled),
    created as (
      insert into invitations (survey_id, work_item_id, campaign_id, contact_id, client_id,
        token_nonce, token_hash, status, send_at, next_attempt_at, expires_at, created_at, updated_at)
      select ${survey.id}, ${workItemId}, ${campaignId}, ${contact.id}, ${client.id},
        ${tokenNonce}, ${tokenHash}, 'scheduled', ${sendAt.toISOString()}::timestamptz,
        ${sendAt.toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz,
        ${at}::timestamptz, ${at}::timestamptz
      from checked where not already and not throttled
      on conflict do nothing
      returning id),
    history as (
      insert into invitation_events (invitation_id, type, at, detail)
      select id, 'scheduled', ${at}::timestamptz, ${detail}::jsonb from created),
    decision as (
      select case
        when already or throttled or (select id from created) is null
          then json_build_object('status', 'skipped',
            'reason', case when already or not throttled then 'already_surveyed' else 'throttled' end,
            'surveyKey', ${survey.key}::text)
        else json_build_object('status', 'scheduled', 'id', (select id from created),
          'surveyKey', ${survey.key}::text, 'sendAt', ${sendAt.toISOString()}::text)
        end as value
      from checked)
    ${input.record ? stmt`, ${input.record(stmt`(select value from decision)`)}` : nothing}
    select value as decision from decision`;
  // The lock and the statement go out together; the statement's snapshot is taken once the lock
  // is held, so a concurrent scheduling for this contact has committed or not begun.
  const locked =
    survey.throttleDays > 0
      ? queryStatement(
          ctx.db,
          "schedule_lock",
          stmt`select pg_advisory_xact_lock(hashtext(${contact.id}::text))::text`,
        )
      : undefined;
  const decided = queryStatement<{ decision: InvitationDecision | string }>(
    ctx.db,
    "schedule_decide",
    decide,
  );
  const [, [row]] = await Promise.all([locked, decided]);
  if (!row) throw new Error("the scheduling statement answered no row");
  return parsedJson(row.decision);
}

/** Why a recipient cannot be surveyed, known before any statement; null when they can. */
function recipientSkip(
  survey: Pick<SchedulingSurvey, "active">,
  contact: Recipient["contact"],
  client: Recipient["client"],
): SkipReason | null {
  if (!survey.active) return "survey_inactive";
  if (!contact) return "no_contact";
  if (contact.erasedAt) return "contact_erased";
  if (client.excludeFromSurveys) return "client_excluded";
  if (contact.optedOutAt) return "opted_out";
  if (contact.bouncedAt || contact.complainedAt) return "bounced";
  if (!contact.email) return "no_email";
  return null;
}

/**
 * Whether the invitation is held by a reopen of its work item: each reopen that finds it unsent
 * records `held`, and the close that follows releases it and records `rescheduled`. Counted, not
 * ordered: two history lines may share an instant.
 */
export function isHeld(invitationId: Fragment): Fragment {
  return stmt`(select count(*) filter (where e.type = 'held')
      > count(*) filter (where e.type = 'rescheduled')
    from invitation_events e where e.invitation_id = ${invitationId})`;
}

/**
 * A reopened work item's unsent invitation waits: the worker sends nothing of an item while it
 * is reopened (see the claim), and the close that follows releases it (`releaseHeld`). Records
 * `held` in its history once per reopen; must run in the transaction that reopened the item,
 * which holds the item's row lock.
 */
export async function holdForReopen(
  { ctx }: { ctx: Pick<ServiceContext, "db" | "clock"> },
  workItemId: string,
): Promise<void> {
  await queryStatement(
    ctx.db,
    "intake_hold",
    stmt`insert into invitation_events (invitation_id, type, at, detail)
      select i.id, 'held', ${ctx.clock.now().toISOString()}::timestamptz,
        '{"reason":"work_item_reopened"}'::jsonb
      from invitations i
      where i.work_item_id = ${workItemId}::uuid and i.status = 'scheduled'
        and not ${isHeld(stmt`i.id`)}`,
  );
}

/**
 * The close that ends a reopen: the item's held invitation goes out its own survey's
 * `delayMinutes` after this close, whichever survey this close would choose (the item is
 * surveyed once), and the event answers it as scheduled; unless the rules a first close answers
 * by now refuse it (the contact opted out while the item was reopened, the survey was paused,
 * the client excluded): it is then cancelled, and the event answers why, as a first close would.
 * Must run in the transaction that closed the item, which holds the item's row lock.
 */
export async function releaseHeld(
  { ctx }: { ctx: Pick<ServiceContext, "db" | "clock"> },
  workItemId: string,
): Promise<InvitationDecision | null> {
  const now = ctx.clock.now();
  const [held] = await queryStatement<{
    id: string;
    key: string;
    delayMinutes: number;
    expiresAfterDays: number;
    active: boolean;
    contactId: string;
    email: string | null;
    optedOutAt: string | null;
    bouncedAt: string | null;
    complainedAt: string | null;
    erasedAt: string | null;
    clientId: string;
    excludeFromSurveys: boolean;
  }>(
    ctx.db,
    "intake_held",
    stmt`select i.id, s.key, s.delay_minutes as "delayMinutes",
        s.expires_after_days as "expiresAfterDays", s.active,
        c.id as "contactId", c.email, c.opted_out_at as "optedOutAt",
        c.bounced_at as "bouncedAt", c.complained_at as "complainedAt",
        c.erased_at as "erasedAt", k.id as "clientId",
        k.exclude_from_surveys as "excludeFromSurveys"
      from invitations i join surveys s on s.id = i.survey_id
        join contacts c on c.id = i.contact_id join clients k on k.id = i.client_id
      where i.work_item_id = ${workItemId}::uuid and i.status = 'scheduled'
        and ${isHeld(stmt`i.id`)}
      order by i.created_at, i.id limit 1`,
  );
  if (!held) return null;
  const at = now.toISOString();
  const date = (value: string | null) => (value === null ? null : new Date(value));
  const reason = recipientSkip(
    held,
    {
      id: held.contactId,
      email: held.email,
      optedOutAt: date(held.optedOutAt),
      bouncedAt: date(held.bouncedAt),
      complainedAt: date(held.complainedAt),
      erasedAt: date(held.erasedAt),
    },
    { id: held.clientId, excludeFromSurveys: held.excludeFromSurveys },
  );
  if (reason) {
    await queryStatement(
      ctx.db,
      "intake_release_cancel",
      stmt`with cancelled as (
          update invitations set status = 'cancelled', updated_at = ${at}::timestamptz
          where id = ${held.id}::uuid
          returning id)
        insert into invitation_events (invitation_id, type, at, detail)
        select id, 'cancelled', ${at}::timestamptz, ${JSON.stringify({ reason })}::jsonb
        from cancelled`,
    );
    return { status: "skipped", reason, surveyKey: held.key };
  }
  const sendAt = new Date(now.getTime() + held.delayMinutes * 60_000).toISOString();
  const expiresAt = new Date(Date.parse(sendAt) + held.expiresAfterDays * DAY_MS).toISOString();
  await queryStatement(
    ctx.db,
    "intake_release",
    stmt`with moved as (
        update invitations set send_at = ${sendAt}::timestamptz,
          next_attempt_at = ${sendAt}::timestamptz, expires_at = ${expiresAt}::timestamptz,
          updated_at = ${at}::timestamptz
        where id = ${held.id}::uuid
        returning id)
      insert into invitation_events (invitation_id, type, at, detail)
      select id, 'rescheduled', ${at}::timestamptz,
        ${JSON.stringify({ sendAt, reason: "work_item_closed_again" })}::jsonb
      from moved`,
  );
  return { status: "scheduled", id: held.id, surveyKey: held.key, sendAt };
}
