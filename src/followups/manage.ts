import { and, asc, desc, eq, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import {
  type FollowupState,
  followupNotes,
  followups,
  responses,
  teams,
} from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";
import { decodeCursor, encodeCursor } from "../http/page-cursor.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
import { type Followup, followupEventData } from "./cases.ts";
import { caseCredit, creditedToTeam } from "./credit.ts";

export interface FollowupView extends Followup {
  overdue: boolean;
  teams: { id: string; key: string; name: string }[];
  members: { id: string; name: string }[];
  response: {
    scale: string;
    score: number;
    comment: string | null;
    state: string;
    respondedAt: Date;
  };
  notes?: (typeof followupNotes.$inferSelect)[];
}

export interface ListInput {
  state?: FollowupState | undefined;
  team?: string | undefined;
  overdue?: boolean | undefined;
  olderThanHours?: number | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Whether a case is overdue at `now`: still `open` at or after its due time. */
export function isOverdue(followup: Pick<Followup, "state" | "dueAt">, now: Date): boolean {
  return followup.state === "open" && followup.dueAt.getTime() <= now.getTime();
}

async function present(
  ctx: Pick<ServiceContext, "db" | "clock">,
  rows: { followup: Followup; response: FollowupView["response"] }[],
): Promise<FollowupView[]> {
  const credit = await caseCredit(
    ctx,
    rows.map((row) => row.followup.workItemId),
  );
  const now = ctx.clock.now();
  return rows.map(({ followup, response }) => {
    const { teams, members } = (followup.workItemId && credit.get(followup.workItemId)) || {
      teams: [],
      members: [],
    };
    return { ...followup, overdue: isOverdue(followup, now), teams, members, response };
  });
}

const responseFields = {
  scale: responses.scale,
  score: responses.score,
  comment: responses.comment,
  state: responses.state,
  respondedAt: responses.respondedAt,
};

/** Cases newest first, filtered, one keyset page at a time. */
export async function listFollowups({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: ListInput;
}): Promise<{ data: FollowupView[]; nextCursor: string | null }> {
  const now = ctx.clock.now();
  const after = decodeCursor(input.cursor);
  let teamId: string | undefined;
  if (input.team) {
    const [team] = await ctx.db
      .select({ id: teams.id })
      .from(teams)
      .where(eq(teams.key, input.team));
    if (!team) return { data: [], nextCursor: null };
    teamId = team.id;
  }
  const filters: (SQL | undefined)[] = [
    input.state ? eq(followups.state, input.state) : undefined,
    teamId ? creditedToTeam(teamId) : undefined,
    input.overdue === true
      ? and(eq(followups.state, "open"), lte(followups.dueAt, now))
      : input.overdue === false
        ? sql`not (${followups.state} = 'open' and ${followups.dueAt} <= ${now.toISOString()}::timestamptz)`
        : undefined,
    input.olderThanHours === undefined
      ? undefined
      : lte(followups.openedAt, new Date(now.getTime() - input.olderThanHours * 3_600_000)),
    after
      ? or(
          lt(followups.openedAt, after.at),
          and(eq(followups.openedAt, after.at), lt(followups.id, after.id)),
        )
      : undefined,
  ];
  const rows = await ctx.db
    .select({ followup: followups, response: responseFields })
    .from(followups)
    .innerJoin(responses, eq(responses.id, followups.responseId))
    .where(and(...filters))
    .orderBy(desc(followups.openedAt), desc(followups.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    data: await present(ctx, page),
    nextCursor:
      rows.length > input.limit && last
        ? encodeCursor({ at: last.followup.openedAt, id: last.followup.id })
        : null,
  };
}

/** The open cases opened longest ago, of one team's work when `teamId` is given. */
export async function oldestOpenFollowups({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { teamId?: string | undefined; limit: number };
}): Promise<FollowupView[]> {
  const rows = await ctx.db
    .select({ followup: followups, response: responseFields })
    .from(followups)
    .innerJoin(responses, eq(responses.id, followups.responseId))
    .where(
      and(eq(followups.state, "open"), input.teamId ? creditedToTeam(input.teamId) : undefined),
    )
    .orderBy(asc(followups.openedAt), asc(followups.id))
    .limit(input.limit);
  return present(ctx, rows);
}

/** How many cases are open and how many of those are overdue, counted by the database. */
export async function countOpenFollowups({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { teamId?: string | undefined };
}): Promise<{ open: number; overdue: number }> {
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .select({
      open: sql<number>`count(*)::int`,
      overdue: sql<number>`(count(*) filter (where ${followups.dueAt} <= ${now.toISOString()}::timestamptz))::int`,
    })
    .from(followups)
    .where(
      and(eq(followups.state, "open"), input.teamId ? creditedToTeam(input.teamId) : undefined),
    );
  return { open: row?.open ?? 0, overdue: row?.overdue ?? 0 };
}

/** One case with its notes. */
export async function getFollowup({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: { id: string };
}): Promise<FollowupView> {
  const [row] = await ctx.db
    .select({ followup: followups, response: responseFields })
    .from(followups)
    .innerJoin(responses, eq(responses.id, followups.responseId))
    .where(eq(followups.id, input.id));
  if (!row) throw new ApiError("not_found", "No follow-up has this id.");
  const [view] = await present(ctx, [row]);
  const notes = await ctx.db
    .select()
    .from(followupNotes)
    .where(eq(followupNotes.followupId, input.id))
    .orderBy(asc(followupNotes.at), asc(followupNotes.id));
  return { ...view!, notes };
}

const allowedMoves: Record<FollowupState, FollowupState[]> = {
  open: ["acknowledged", "resolved"],
  acknowledged: ["resolved"],
  resolved: [],
};

/**
 * Assigns, acknowledges, resolves or annotates a case, in one transaction holding the case's
 * row lock, so two people acting at once are applied one after the other. A move the state
 * machine does not allow (anything out of `resolved`, or back to `acknowledged`) is a 409.
 */
export async function updateFollowup({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: {
    id: string;
    author: string;
    state?: "acknowledged" | "resolved" | undefined;
    owner?: string | null | undefined;
    note?: string | undefined;
  };
}): Promise<FollowupView> {
  await ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const [current] = await tx
      .select()
      .from(followups)
      .where(eq(followups.id, input.id))
      .for("update");
    if (!current) throw new ApiError("not_found", "No follow-up has this id.");
    if (input.state === "resolved" && !input.note?.trim()) {
      throw new ApiError("validation_failed", "A note is required to resolve a follow-up.", {
        errors: [
          { path: "note", message: "a note is required to resolve a follow-up", in: "body" },
        ],
      });
    }
    if (input.state && !allowedMoves[current.state].includes(input.state)) {
      throw new ApiError(
        "conflict",
        `A ${current.state} follow-up cannot become ${input.state}; allowed: ${allowedMoves[current.state].join(", ") || "none"}.`,
      );
    }
    if (input.owner !== undefined && current.state === "resolved" && input.state === undefined) {
      throw new ApiError("conflict", "A resolved follow-up cannot be reassigned.");
    }
    const now = ctx.clock.now();
    const [updated] = await tx
      .update(followups)
      .set({
        ...(input.owner === undefined ? {} : { owner: input.owner }),
        ...(input.state === "acknowledged" ? { state: "acknowledged", acknowledgedAt: now } : {}),
        ...(input.state === "resolved"
          ? {
              state: "resolved",
              resolvedAt: now,
              ...(current.acknowledgedAt ? {} : { acknowledgedAt: now }),
            }
          : {}),
        updatedAt: now,
      })
      .where(eq(followups.id, input.id))
      .returning();
    if (input.note) {
      await tx
        .insert(followupNotes)
        .values({ followupId: input.id, author: input.author, body: input.note, at: now });
    }
    if (input.state === "resolved") {
      const [response] = await tx
        .select()
        .from(responses)
        .where(eq(responses.id, current.responseId));
      await enqueueWebhookEvent({
        ctx: txCtx,
        input: {
          type: "followup.resolved",
          data: await followupEventData(txCtx, updated!, response!, input.note),
        },
      });
    }
  });
  return getFollowup({ ctx, input: { id: input.id } });
}
