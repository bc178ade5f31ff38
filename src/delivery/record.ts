import { sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { invitationEvents } from "../db/schema/index.ts";
import { backoffMs, MAX_ATTEMPTS } from "./backoff.ts";
import { type ClaimedBatch, idList } from "./claim.ts";
import type { SendOutcome } from "./transport.ts";

const col = (name: string) => sql.raw(name);
const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

/**
 * Records what became of a claimed batch, in one transaction. Every update is guarded by the
 * batch key and the `sending` state, so a worker whose lease was taken over records nothing
 * twice.
 */
export async function recordOutcome({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { batch: ClaimedBatch; outcome: SendOutcome; transport: string };
}): Promise<void> {
  const { batch, outcome, transport } = input;
  await ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    if (outcome.kind === "accepted") {
      for (const [index, member] of batch.members.entries()) {
        const result = outcome.results[index] ?? { providerMessageId: null };
        if ("error" in result) await markFailed(txCtx, batch, [member.id], result.error);
        else {
          await markSent(
            txCtx,
            batch,
            member.id,
            result.providerMessageId,
            transport,
            outcome.note,
          );
        }
      }
    } else if (outcome.kind === "rejected") {
      await markFailed(
        txCtx,
        batch,
        batch.members.map((member) => member.id),
        outcome.reason,
      );
    } else {
      await scheduleRetry(txCtx, batch, outcome);
    }
  });
}

async function markSent(
  ctx: ServiceContext,
  batch: ClaimedBatch,
  id: string,
  providerMessageId: string | null,
  transport: string,
  note: string | undefined,
) {
  const { lane } = batch;
  const now = ctx.clock.now();
  // The survey email schedules its reminder, when the survey has one.
  const scheduleReminder =
    lane.kind === "survey"
      ? sql`, reminder_status = case when s.reminder_after_hours is not null and i.reminder_status = 'none'
                 then 'scheduled' else i.reminder_status end,
              reminder_due_at = case when s.reminder_after_hours is not null and i.reminder_status = 'none'
                 then ${at(now)} + make_interval(hours => s.reminder_after_hours) else i.reminder_due_at end`
      : sql``;
  const updated = await queryRows<{ id: string; reminder_status: string }>(
    ctx.db,
    sql`update invitations i
        set ${col(lane.status)} = 'sent',
            ${col(lane.providerMessageId)} = coalesce(${providerMessageId}, i.${col(lane.providerMessageId)}),
            ${col(lane.sentAt)} = ${at(now)}, last_error = null, updated_at = ${at(now)}
            ${scheduleReminder}
        from surveys s
        where s.id = i.survey_id and i.id = ${id}::uuid and i.batch_key = ${batch.batchKey}
          and i.${col(lane.status)} = 'sending'
        returning i.id, i.reminder_status`,
  );
  if (updated.length === 0) return;
  await ctx.db.insert(invitationEvents).values({
    invitationId: id,
    type: lane.kind === "survey" ? "sent" : "reminder_sent",
    at: now,
    detail: { transport, providerMessageId, batchKey: batch.batchKey, ...(note ? { note } : {}) },
  });
}

async function markFailed(ctx: ServiceContext, batch: ClaimedBatch, ids: string[], reason: string) {
  const { lane } = batch;
  const now = ctx.clock.now();
  const failed = await queryRows<{ id: string }>(
    ctx.db,
    sql`update invitations set ${col(lane.status)} = 'failed', last_error = ${reason},
            updated_at = ${at(now)}
        where id in (${idList(ids)}) and batch_key = ${batch.batchKey}
          and ${col(lane.status)} = 'sending'
        returning id`,
  );
  if (failed.length === 0) return;
  await ctx.db.insert(invitationEvents).values(
    failed.map((row) => ({
      invitationId: row.id,
      type: `${lane.event}_failed`,
      at: now,
      detail: { reason, batchKey: batch.batchKey },
    })),
  );
}

async function scheduleRetry(
  ctx: ServiceContext,
  batch: ClaimedBatch,
  outcome: Extract<SendOutcome, { kind: "retry" }>,
) {
  const { lane } = batch;
  const attempt = Math.max(...batch.members.map((member) => member.attempt));
  const ids = batch.members.map((member) => member.id);
  if (!outcome.rateLimited && attempt >= MAX_ATTEMPTS) {
    await markFailed(ctx, batch, ids, `${outcome.reason} (gave up after ${attempt} attempts)`);
    return;
  }
  const now = ctx.clock.now();
  const delay = outcome.retryAfterMs ?? (outcome.rateLimited ? 1000 : backoffMs(attempt));
  const retryAt = new Date(now.getTime() + delay);
  // A rate-limited request was refused before any work: it does not use up an attempt.
  const attempts = outcome.rateLimited
    ? sql`${col(lane.attempts)} = greatest(${col(lane.attempts)} - 1, 0),`
    : sql``;
  const rescheduled = await queryRows<{ id: string }>(
    ctx.db,
    sql`update invitations set ${attempts} ${col(lane.due)} = ${at(retryAt)},
            last_error = ${outcome.reason}, updated_at = ${at(now)}
        where id in (${idList(ids)}) and batch_key = ${batch.batchKey}
          and ${col(lane.status)} = 'sending'
        returning id`,
  );
  if (rescheduled.length === 0) return;
  await ctx.db.insert(invitationEvents).values(
    rescheduled.map((row) => ({
      invitationId: row.id,
      type: `${lane.event}_retry`,
      at: now,
      detail: {
        reason: outcome.reason,
        retryAt: retryAt.toISOString(),
        rateLimited: outcome.rateLimited ?? false,
        batchKey: batch.batchKey,
      },
    })),
  );
}
