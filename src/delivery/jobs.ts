import type { ServiceContext } from "../context.ts";
import type { Logger } from "../logger.ts";
import type { Job } from "../worker/runner.ts";
import { claimBatch } from "./claim.ts";
import { composeEmails } from "./compose.ts";
import { type Lane, lanes } from "./lanes.ts";
import { recordOutcome } from "./record.ts";
import {
  MAX_PACE_WAIT_MS,
  type OutgoingEmail,
  type SendOutcome,
  transportFor,
} from "./transport.ts";

/** Sends due survey emails, a batch per run. */
export const sendDueInvitations: Job = {
  name: "sendDueInvitations",
  runOnce: (ctx) => runLane(ctx, lanes.survey),
};

/** Sends due reminders (one per unanswered, unexpired invitation), a batch per run. */
export const sendDueReminders: Job = {
  name: "sendDueReminders",
  runOnce: (ctx) => runLane(ctx, lanes.reminder),
};

/** Claims, renders, sends and records one batch; answers how many invitations it handled. */
export async function runLane(ctx: ServiceContext, lane: Lane): Promise<number> {
  const transport = transportFor(ctx.config);
  if (transport.readyInMs() > MAX_PACE_WAIT_MS) return 0;
  const batch = await claimBatch({ ctx, input: { lane, limit: transport.maxBatchSize } });
  if (!batch) return 0;
  if (batch.members.length === 0) return batch.cancelled;

  const log = ctx.logger.child({ kind: "delivery", lane: lane.kind, batchKey: batch.batchKey });
  const outcome = await renderAndSend(ctx, batch.members, lane, batch.batchKey, log);
  await recordOutcome({ ctx, input: { batch, outcome, transport: transport.name } });

  const summary = {
    transport: transport.name,
    emails: batch.members.length,
    outcome: outcome.kind,
  };
  if (outcome.kind === "accepted") log.info(summary, "batch sent");
  else log.warn({ ...summary, reason: outcome.reason }, "batch not sent");
  return batch.members.length + batch.cancelled;
}

async function renderAndSend(
  ctx: ServiceContext,
  members: Array<{ id: string }>,
  lane: Lane,
  batchKey: string,
  log: Logger,
): Promise<SendOutcome> {
  let emails: OutgoingEmail[];
  try {
    emails = await composeEmails({
      ctx,
      input: { kind: lane.kind, invitationIds: members.map((member) => member.id) },
    });
  } catch (error) {
    log.error({ err: error }, "rendering a batch failed; it will be retried");
    return { kind: "retry", reason: `rendering failed: ${(error as Error).message}` };
  }
  return transportFor(ctx.config).send(ctx, batchKey, emails);
}
