import { and, eq, ne, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { followupNotes, followups, type responses } from "../db/schema/index.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
import { addBusinessHours } from "./business-hours.ts";
import { responseSubject } from "./event-data.ts";

type Response = typeof responses.$inferSelect;
export type Followup = typeof followups.$inferSelect;

export const SYSTEM_AUTHOR = "rapport";

export function followupPath(id: string): string {
  return `/dashboard/followups/${id}`;
}

/** The webhook payload of a `followup.*` event. */
export async function followupEventData(
  ctx: Pick<ServiceContext, "db" | "config">,
  followup: Followup,
  response: Response,
  note?: string,
) {
  return {
    followup: {
      id: followup.id,
      state: followup.state,
      owner: followup.owner,
      teamIds: followup.teamIds,
      memberIds: followup.memberIds,
      openedAt: followup.openedAt.toISOString(),
      dueAt: followup.dueAt.toISOString(),
      acknowledgedAt: followup.acknowledgedAt?.toISOString() ?? null,
      resolvedAt: followup.resolvedAt?.toISOString() ?? null,
      ...(note === undefined ? {} : { note }),
    },
    ...(await responseSubject(ctx, response, followupPath(followup.id))),
  };
}

/**
 * Opens a case for a negative response, crediting the teams and members that touched its work
 * item now. The partial unique index keeps one unresolved case per response, so a second call
 * (or a racing one) adds nothing. Run inside the response's transaction.
 */
export async function openCase(ctx: ServiceContext, response: Response): Promise<Followup | null> {
  const credited = response.workItemId
    ? await queryRows<{ team_ids: string[] | null; member_ids: string[] | null }>(
        ctx.db,
        sql`select array_agg(distinct team_id) as team_ids, array_agg(distinct member_id) as member_ids
            from touches where work_item_id = ${response.workItemId}`,
      )
    : [];
  const now = ctx.clock.now();
  const [opened] = await ctx.db
    .insert(followups)
    .values({
      responseId: response.id,
      workItemId: response.workItemId,
      clientId: response.clientId,
      teamIds: parseUuidArray(credited[0]?.team_ids),
      memberIds: parseUuidArray(credited[0]?.member_ids),
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
  if (!opened) return null;
  await enqueueWebhookEvent({
    ctx,
    input: { type: "followup.opened", data: await followupEventData(ctx, opened, response) },
  });
  return opened;
}

/** Resolves the response's unresolved case, if any, with a note written by rapport. */
export async function resolveCaseAutomatically(
  ctx: ServiceContext,
  response: Response,
  note: string,
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
  await enqueueWebhookEvent({
    ctx,
    input: {
      type: "followup.resolved",
      data: await followupEventData(ctx, resolved, response, note),
    },
  });
  return resolved;
}

/** postgres.js answers arrays; PGlite may answer `{a,b}` text for an aggregate. */
function parseUuidArray(value: string[] | string | null | undefined): string[] {
  if (!value) return [];
  if (Array.isArray(value)) return value.filter(Boolean);
  return value
    .replace(/^\{|\}$/g, "")
    .split(",")
    .filter((item) => item && item !== "NULL");
}
