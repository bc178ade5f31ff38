import { sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { touches, workItems } from "../db/schema/index.ts";
import type { CanonicalEvent } from "./event.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

const closingTypes = new Set(["ticket.closed", "project.completed"]);

/**
 * Records the work item as the event describes it. A closing event closes it (its `closedAt`,
 * or the moment of the event), a reopen reopens it, an update keeps the status it had.
 */
export async function upsertWorkItem(
  { ctx }: { ctx: Ctx },
  event: CanonicalEvent,
  parties: { clientId: string; contactId: string | null },
): Promise<{ id: string; status: string }> {
  const item = event.workItem;
  const now = ctx.clock.now();
  const closing = closingTypes.has(event.type);
  const reopening = event.type === "ticket.reopened";
  const closedAt = closing ? new Date(item.closedAt ?? event.occurredAt) : null;
  const status = closing ? "closed" : reopening ? "reopened" : "open";
  const optional = (value: string | null | undefined) => (value ? new Date(value) : null);

  const [row] = await ctx.db
    .insert(workItems)
    .values({
      kind: item.kind,
      externalId: item.externalId,
      clientId: parties.clientId,
      contactId: parties.contactId,
      summary: item.summary,
      board: item.board ?? null,
      status,
      openedAt: optional(item.openedAt),
      closedAt: closing ? closedAt : reopening ? null : optional(item.closedAt),
      firstResponseAt: optional(item.firstResponseAt),
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [workItems.kind, workItems.externalId],
      set: {
        clientId: sql`excluded.client_id`,
        contactId: sql`coalesce(excluded.contact_id, ${workItems.contactId})`,
        summary: sql`case when excluded.summary = '' then ${workItems.summary} else excluded.summary end`,
        board: sql`coalesce(excluded.board, ${workItems.board})`,
        openedAt: sql`coalesce(excluded.opened_at, ${workItems.openedAt})`,
        firstResponseAt: sql`coalesce(excluded.first_response_at, ${workItems.firstResponseAt})`,
        ...(closing
          ? { status: "closed" as const, closedAt }
          : reopening
            ? { status: "reopened" as const, closedAt: null }
            : {}),
        updatedAt: now,
      },
    })
    .returning({ id: workItems.id, status: workItems.status });
  return row!;
}

export interface TouchInput {
  memberId: string;
  teamId: string;
  role: CanonicalEvent["touches"][number]["role"];
  at: Date;
  minutes: number | null;
}

/**
 * Stores the touches not seen before (the unique index drops repeats, also within one event)
 * and answers how many were new. Touches arriving after the item closed are kept: the work
 * still happened, and metrics credit it.
 */
export async function recordTouches(
  { ctx }: { ctx: Ctx },
  workItemId: string,
  list: TouchInput[],
): Promise<number> {
  if (list.length === 0) return 0;
  const now = ctx.clock.now();
  const inserted = await ctx.db
    .insert(touches)
    .values(
      list.map((touch) => ({
        workItemId,
        memberId: touch.memberId,
        teamId: touch.teamId,
        role: touch.role,
        at: touch.at,
        minutes: touch.minutes,
        createdAt: now,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: touches.id });
  return inserted.length;
}
