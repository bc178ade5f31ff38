import { and, eq, ne, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { followupNotes, followups, type responses, touches } from "../db/schema/index.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
import { addBusinessHours } from "./business-hours.ts";
import { caseCredit } from "./credit.ts";
import { responseSubject } from "./event-data.ts";

type Response = typeof responses.$inferSelect;
export type Followup = typeof followups.$inferSelect;

export const SYSTEM_AUTHOR = "rapport";

export function followupPath(id: string): string {
  return `/dashboard/followups/${id}`;
}

type ResponseSubject = Awaited<ReturnType<typeof responseSubject>>;

/** How a case change tells webhooks, when the caller already knows it. */
export interface CaseNotice {
  /** Whether an active subscription wants this event (false: queue nothing, read nothing). */
  notify: boolean;
  /** The response's event data, shared with the response's own event. */
  subject?: () => Promise<ResponseSubject>;
}

/** The webhook payload of a `followup.*` event. */
export async function followupEventData(
  ctx: Pick<ServiceContext, "db" | "config">,
  followup: Followup,
  response: Response,
  note?: string,
  subject?: () => Promise<ResponseSubject>,
) {
  const url = `${ctx.config.PUBLIC_BASE_URL}${followupPath(followup.id)}`;
  const credit = followup.workItemId
    ? (await caseCredit(ctx, [followup.workItemId])).get(followup.workItemId)
    : undefined;
  return {
    followup: {
      id: followup.id,
      state: followup.state,
      owner: followup.owner,
      teamIds: credit?.teams.map((team) => team.id) ?? [],
      memberIds: credit?.members.map((member) => member.id) ?? [],
      openedAt: followup.openedAt.toISOString(),
      dueAt: followup.dueAt.toISOString(),
      acknowledgedAt: followup.acknowledgedAt?.toISOString() ?? null,
      resolvedAt: followup.resolvedAt?.toISOString() ?? null,
      ...(note === undefined ? {} : { note }),
    },
    ...(subject
      ? { ...(await subject()), url }
      : await responseSubject(ctx, response, followupPath(followup.id))),
  };
}

/**
 * Opens a case for a negative response, keeping the teams and members that touched its work
 * item now (for history; who the case is about follows the item's credit, see `caseCredit`). The partial unique index keeps one unresolved case per response, so a second call
 * (or a racing one) adds nothing. Run inside the response's transaction.
 */
export async function openCase(
  ctx: ServiceContext,
  response: Response,
  notice?: CaseNotice,
): Promise<Followup | null> {
  const reopened = await reopenAutomaticallyResolved(ctx, response);
  const opened = reopened ?? (await insertCase(ctx, response));
  if (!opened || notice?.notify === false) return opened;
  await enqueueWebhookEvent({
    ctx,
    input: {
      type: "followup.opened",
      data: await followupEventData(
        ctx,
        opened,
        response,
        reopened ? REOPENED_NOTE : undefined,
        notice?.subject,
      ),
    },
  });
  return opened;
}

/** A new case for the response; null when it has an unresolved one already. */
async function insertCase(ctx: ServiceContext, response: Response): Promise<Followup | null> {
  // The credit is read by the insert itself: one statement.
  const credited = (column: "team_id" | "member_id") =>
    response.workItemId
      ? sql`(select coalesce(array_agg(distinct ${sql.raw(column)}), '{}'::uuid[]) from ${touches}
             where work_item_id = ${response.workItemId})`
      : [];
  const now = ctx.clock.now();
  const [opened] = await ctx.db
    .insert(followups)
    .values({
      responseId: response.id,
      workItemId: response.workItemId,
      clientId: response.clientId,
      teamIds: credited("team_id"),
      memberIds: credited("member_id"),
      openedAt: now,
      dueAt: addBusinessHours(
        now,
        ctx.config.FOLLOWUP_OVERDUE_BUSINESS_HOURS,
        ctx.config.BUSINESS_TIMEZONE,
      ),
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  return opened ?? null;
}

const REOPENED_NOTE = "The answer is negative again: the case is open again.";

/**
 * The response's latest case, when rapport itself resolved it (its score had stopped being
 * negative) and no person has resolved it since: the answer turning negative again (a person
 * changing their mind back, or a scanner's click undone by its burst) is the same case, which
 * goes back to its state, owner and due time rather than a new case starting the clock again.
 */
async function reopenAutomaticallyResolved(
  ctx: ServiceContext,
  response: Response,
): Promise<Followup | null> {
  const now = ctx.clock.now();
  const [reopened] = await ctx.db
    .update(followups)
    .set({
      state: sql`case when ${followups.acknowledgedAt} is null then 'open' else 'acknowledged' end`,
      resolvedAt: null,
      updatedAt: now,
    })
    .where(
      sql`${followups.id} = (
        select f.id from ${followups} f
        where f.response_id = ${response.id} and f.state = 'resolved'
          and not exists (select 1 from ${followups} u
            where u.response_id = f.response_id and u.state <> 'resolved')
          -- Resolved by rapport: its automatic note (not the one reopening it) bears the
          -- resolution's instant.
          and exists (select 1 from ${followupNotes} n
            where n.followup_id = f.id and n.automatic and n.at = f.resolved_at
              and n.body <> ${REOPENED_NOTE})
        order by f.resolved_at desc, f.id desc limit 1)`,
    )
    .returning();
  if (!reopened) return null;
  await ctx.db.insert(followupNotes).values({
    followupId: reopened.id,
    author: SYSTEM_AUTHOR,
    body: REOPENED_NOTE,
    automatic: true,
    at: now,
  });
  return reopened;
}

/** Resolves the response's unresolved case, if any, with a note written by rapport. */
export async function resolveCaseAutomatically(
  ctx: ServiceContext,
  response: Response,
  note: string,
  notice?: CaseNotice,
): Promise<Followup | null> {
  const now = ctx.clock.now();
  const [resolved] = await ctx.db
    .update(followups)
    .set({ state: "resolved", resolvedAt: now, updatedAt: now })
    .where(and(eq(followups.responseId, response.id), ne(followups.state, "resolved")))
    .returning();
  if (!resolved) return null;
  await ctx.db.insert(followupNotes).values({
    followupId: resolved.id,
    author: SYSTEM_AUTHOR,
    body: note,
    automatic: true,
    at: now,
  });
  if (notice?.notify === false) return resolved;
  await enqueueWebhookEvent({
    ctx,
    input: {
      type: "followup.resolved",
      data: await followupEventData(ctx, resolved, response, note, notice?.subject),
    },
  });
  return resolved;
}
