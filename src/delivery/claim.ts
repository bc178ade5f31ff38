import { createHash } from "node:crypto";
import { type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { invitationEvents } from "../db/schema/index.ts";
import { emailKey } from "./compose.ts";
import { type Lane, LEASE_MS } from "./lanes.ts";

/** A batch a worker now owns until its lease ends: its members in a fixed (sorted) order. */
export interface ClaimedBatch {
  lane: Lane;
  batchKey: string;
  members: Array<{ id: string; attempt: number }>;
  /** Invitations found due but cancelled instead (opted out, expired, answered...). */
  cancelled: number;
}

export type CancelReason =
  | "no_email"
  | "erased"
  | "opted_out"
  | "bounced"
  | "complained"
  | "expired"
  | "answered"
  | "survey_inactive"
  | "client_excluded"
  | "invalid_email";

/**
 * Claims work for one lane: first a batch whose worker stopped (or whose retry is due), re-sent
 * as the very same batch under the same key; otherwise up to `limit` due invitations, as a new
 * batch. Claiming commits before anything is sent.
 */
export async function claimBatch({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { lane: Lane; limit: number };
}): Promise<ClaimedBatch | null> {
  return (await resumeBatch(ctx, input.lane)) ?? (await claimDue(ctx, input.lane, input.limit));
}

/** Names a batch after its members, so the same members always make the same key. */
export function batchKeyFor(lane: Lane, ids: string[]): string {
  if (ids.length === 1) return emailKey(lane.kind, ids[0]!);
  const digest = createHash("sha256")
    .update([...ids].sort().join(","))
    .digest("base64url");
  return `${lane.kind === "survey" ? "invitations" : "reminders"}/${digest}`;
}

const col = (name: string) => sql.raw(name);
const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

async function resumeBatch(ctx: ServiceContext, lane: Lane): Promise<ClaimedBatch | null> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [stale] = await queryRows<{ id: string; batch_key: string | null }>(
      tx,
      sql`select id, batch_key from invitations
          where ${col(lane.status)} = 'sending' and ${col(lane.due)} <= ${at(now)}
          order by ${col(lane.due)}, id limit 1
          for update skip locked`,
    );
    if (!stale) return null;
    const batchKey = stale.batch_key ?? emailKey(lane.kind, stale.id);
    // Other rows of the batch may be locked by a worker resuming it through another row:
    // whoever holds this lock resumes the batch, the other backs off without waiting.
    const [lock] = await queryRows<{ locked: boolean }>(
      tx,
      sql`select pg_try_advisory_xact_lock(hashtextextended(${batchKey}, 0)) as locked`,
    );
    if (!lock?.locked) return null;
    // Members that can no longer be sent (contact erased, opted out, bounced...) leave the
    // batch, cancelled; the rest go out under the same key. Should the first attempt have gone
    // through after all, the provider answers that the key was used with other content, and
    // the batch counts as sent (see the transport).
    // Every member, waiting for any row another worker holds a moment: a member left out
    // uncancelled would later go out alone under this key, and the provider's "used with other
    // content" would wrongly count it as sent.
    const state = await stateOf(
      tx,
      lane,
      now,
      sql`(i.batch_key = ${batchKey} or i.id = ${stale.id})
          and i.${col(lane.status)} = 'sending' and i.${col(lane.due)} <= ${at(now)}`,
      { skipLocked: false },
    );
    const cancelled = await cancelUnsendable(tx, lane, state, now, batchKey);
    const ids = state.map((row) => row.id).filter((id) => !cancelled.has(id));
    if (ids.length === 0) {
      return cancelled.size > 0
        ? { lane, batchKey: "", members: [], cancelled: cancelled.size }
        : null;
    }
    const members = await queryRows<{ id: string; attempt: number }>(
      tx,
      sql`update invitations
          set ${col(lane.attempts)} = ${col(lane.attempts)} + 1,
              ${col(lane.due)} = ${at(new Date(now.getTime() + LEASE_MS))},
              batch_key = ${batchKey}, updated_at = ${at(now)}
          where id in (${idList(ids)})
          returning id, ${col(lane.attempts)}::int as attempt`,
    );
    await recordAttempts(tx, lane, batchKey, members, now, true);
    return { lane, batchKey, members: sortById(members), cancelled: cancelled.size };
  });
}

interface DueRow {
  id: string;
  attempts: number;
  no_email: boolean;
  erased: boolean;
  opted_out: boolean;
  bounced: boolean;
  complained: boolean;
  expired: boolean;
  answered: boolean;
  survey_inactive: boolean;
  client_excluded: boolean;
  invalid_email: boolean;
}

async function claimDue(ctx: ServiceContext, lane: Lane, limit: number) {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx): Promise<ClaimedBatch | null> => {
    const due = await stateOf(
      tx,
      lane,
      now,
      sql`i.${col(lane.status)} = 'scheduled' and i.${col(lane.due)} <= ${at(now)}
          ${lane.kind === "reminder" ? sql`and i.status = 'sent'` : sql``}
          -- Nothing goes out about a ticket while it is open again (see holdForReopen).
          and not exists (select 1 from work_items w
            where w.id = i.work_item_id and w.status = 'reopened')`,
      { limit, skipLocked: true },
    );
    if (due.length === 0) return null;
    const cancelled = await cancelUnsendable(tx, lane, due, now);
    const ids = due.map((row) => row.id).filter((id) => !cancelled.has(id));
    if (ids.length === 0) return { lane, batchKey: "", members: [], cancelled: cancelled.size };
    const batchKey = batchKeyFor(lane, ids);
    const members = await queryRows<{ id: string; attempt: number }>(
      tx,
      sql`update invitations
          set ${col(lane.status)} = 'sending', ${col(lane.attempts)} = ${col(lane.attempts)} + 1,
              ${col(lane.due)} = ${at(new Date(now.getTime() + LEASE_MS))},
              batch_key = ${batchKey}, updated_at = ${at(now)}
          where id in (${idList(ids)})
          returning id, ${col(lane.attempts)}::int as attempt`,
    );
    await recordAttempts(tx, lane, batchKey, members, now, false);
    return { lane, batchKey, members: sortById(members), cancelled: cancelled.size };
  });
}

/**
 * The lane's invitations matching `where`, locked, with what decides whether they may still be
 * sent (oldest due first; at most `limit`; rows other workers hold skipped or waited for).
 */
function stateOf(
  tx: ServiceContext["db"],
  lane: Lane,
  now: Date,
  where: SQL,
  { limit, skipLocked }: { limit?: number; skipLocked: boolean },
): Promise<DueRow[]> {
  return queryRows<DueRow>(
    tx,
    sql`select i.id, i.${col(lane.attempts)}::int as attempts,
               (c.email is null) as no_email, (c.erased_at is not null) as erased,
               (c.opted_out_at is not null) as opted_out, (c.bounced_at is not null) as bounced,
               (c.complained_at is not null) as complained,
               (i.expires_at <= ${at(now)}) as expired,
               -- A score collected elsewhere may answer an invitation before its email goes out.
               exists (select 1 from responses r where r.invitation_id = i.id and r.state = 'recorded') as answered,
               not s.active as survey_inactive, cl.exclude_from_surveys as client_excluded,
               -- A bracketed dot: a backslash would not survive the template literal.
               (c.email !~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$') as invalid_email
        from invitations i join contacts c on c.id = i.contact_id
          join surveys s on s.id = i.survey_id join clients cl on cl.id = i.client_id
        where ${where}
        order by i.${col(lane.due)}, i.id
        ${limit === undefined ? sql`` : sql`limit ${limit}`}
        for update of i ${skipLocked ? sql`skip locked` : sql``}`,
  );
}

/** Cancels the rows that may no longer be sent, with the reason in their history; their ids. */
async function cancelUnsendable(
  tx: ServiceContext["db"],
  lane: Lane,
  rows: DueRow[],
  now: Date,
  pendingBatch?: string,
): Promise<Set<string>> {
  const skipped = rows.flatMap((row) => {
    const reason = cancelReason(row);
    return reason ? [{ id: row.id, reason }] : [];
  });
  if (skipped.length === 0) return new Set();
  await tx.execute(
    sql`update invitations set ${col(lane.status)} = 'cancelled', updated_at = ${at(now)}
        where id in (${idList(skipped.map((row) => row.id))})`,
  );
  await tx.insert(invitationEvents).values(
    skipped.map((row) => ({
      invitationId: row.id,
      type: lane.kind === "survey" ? "cancelled" : "reminder_cancelled",
      at: now,
      // Taken out of a batch waiting for its retry: its first attempt's outcome was unknown.
      detail: pendingBatch ? { reason: row.reason, pendingBatch } : { reason: row.reason },
    })),
  );
  return new Set(skipped.map((row) => row.id));
}

function cancelReason(row: DueRow): CancelReason | null {
  if (row.erased) return "erased";
  if (row.no_email) return "no_email";
  // Refused here rather than by the provider inside a batch: a batch's outcome is then all or
  // nothing, which a retry under the same key relies on (see the transport's 409).
  if (row.invalid_email) return "invalid_email";
  if (row.opted_out) return "opted_out";
  if (row.bounced) return "bounced";
  if (row.complained) return "complained";
  if (row.answered) return "answered";
  if (row.expired) return "expired";
  // Paused after the invitation was scheduled: nothing goes out while it is.
  if (row.survey_inactive) return "survey_inactive";
  if (row.client_excluded) return "client_excluded";
  return null;
}

async function recordAttempts(
  tx: ServiceContext["db"],
  lane: Lane,
  batchKey: string,
  members: Array<{ id: string; attempt: number }>,
  now: Date,
  resumed: boolean,
) {
  await tx.insert(invitationEvents).values(
    members.map((member) => ({
      invitationId: member.id,
      type: `${lane.event}_attempt`,
      at: now,
      detail: { attempt: member.attempt, batchKey, batchSize: members.length, resumed },
    })),
  );
}

export function idList(ids: string[]): SQL {
  return sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
}

function sortById<T extends { id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
