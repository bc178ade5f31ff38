import { and, asc, eq, isNotNull, lte } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { digests, teams } from "../db/schema/index.ts";
import type { OutgoingEmail } from "../delivery/transport.ts";
import { MAX_PACE_WAIT_MS, transportFor } from "../delivery/transport.ts";
import { formatFrom, loadBranding } from "../emails/branding.ts";
import { renderDigestEmail } from "../emails/digest.tsx";
import type { Job } from "../worker/runner.ts";
import { composeDigest } from "./compose.ts";
import { latestSlot, localMidnightBefore, parseSchedule } from "./schedule.ts";

const MAX_ATTEMPTS = 8;
const BATCH = 10;

/**
 * Creates this week's digest rows once the scheduled time has passed: one per team with a lead
 * address. The unique (team, week) index makes a second worker's insert a no-op.
 */
export async function scheduleDigests(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now();
  const slot = latestSlot(
    now,
    parseSchedule(ctx.config.DIGEST_SCHEDULE),
    ctx.config.DIGEST_TIMEZONE,
  );
  const leads = await ctx.db
    .select({ id: teams.id, leadEmail: teams.leadEmail })
    .from(teams)
    .where(isNotNull(teams.leadEmail));
  if (leads.length === 0) return 0;
  const created = await ctx.db
    .insert(digests)
    .values(
      leads.map((team) => ({
        teamId: team.id,
        week: slot.week,
        periodStart: slot.from,
        periodEnd: slot.to,
        toEmail: team.leadEmail!,
        nextAttemptAt: slot.sendAt,
        createdAt: now,
      })),
    )
    .onConflictDoNothing({ target: [digests.teamId, digests.week] })
    .returning({ id: digests.id });
  return created.length;
}

/**
 * Sends due digests one at a time, each under its row lock (`FOR UPDATE SKIP LOCKED`), so two
 * workers never send the same one. While the provider asks to wait, the job gives up its turn.
 * A crash after the transport accepted but before the commit sends again with the same
 * idempotency key, which the transport drops as a repeat.
 */
export async function sendDueDigests(ctx: ServiceContext): Promise<number> {
  const transport = transportFor(ctx.config);
  let sent = 0;
  for (let i = 0; i < BATCH; i++) {
    // The transport's pace is waited out before the digest's row is locked, never inside the
    // transaction (on the embedded database it would hold up every request meanwhile).
    const wait = transport.readyInMs();
    if (wait > MAX_PACE_WAIT_MS) break;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const done = await ctx.db.transaction(async (tx) => {
      const txCtx = { ...ctx, db: tx };
      const now = ctx.clock.now();
      const [row] = await tx
        .select({ digest: digests, team: { id: teams.id, key: teams.key, name: teams.name } })
        .from(digests)
        .innerJoin(teams, eq(teams.id, digests.teamId))
        .where(and(eq(digests.status, "pending"), lte(digests.nextAttemptAt, now)))
        .orderBy(asc(digests.nextAttemptAt))
        .limit(1)
        .for("update", { of: digests, skipLocked: true });
      if (!row) return false;
      const { digest, team } = row;
      // Seven local days back: a week that holds a clock change is not 7 x 24 hours.
      const previousFrom = localMidnightBefore(digest.periodStart, 7, ctx.config.DIGEST_TIMEZONE);
      const content = await composeDigest({
        ctx: txCtx,
        input: {
          team,
          week: digest.week,
          from: digest.periodStart,
          to: digest.periodEnd,
          previousFrom,
        },
      });
      const branding = await loadBranding({ ctx: txCtx });
      const rendered = await renderDigestEmail(content, branding);
      const email = digestEmail(digest.id, {
        to: digest.toEmail,
        from: formatFrom(branding),
        replyTo: branding.replyTo,
        ...rendered,
      });
      const outcome = await transport.send(txCtx, `digest/${digest.id}`, [email]);
      const result = outcome.kind === "accepted" ? outcome.results[0] : undefined;
      if (result && "providerMessageId" in result) {
        await tx
          .update(digests)
          .set({
            status: "sent",
            sentAt: now,
            attempts: digest.attempts + 1,
            providerMessageId: result.providerMessageId,
            lastError: null,
          })
          .where(eq(digests.id, digest.id));
        return true;
      }
      const reason =
        outcome.kind === "accepted"
          ? result && "error" in result
            ? result.error
            : "no result"
          : outcome.reason;
      const attempts = digest.attempts + 1;
      const giveUp = outcome.kind === "rejected" || attempts >= MAX_ATTEMPTS;
      await tx
        .update(digests)
        .set({
          status: giveUp ? "failed" : "pending",
          attempts,
          lastError: reason.slice(0, 500),
          nextAttemptAt: new Date(now.getTime() + 60_000 * 2 ** attempts),
        })
        .where(eq(digests.id, digest.id));
      ctx.logger.warn({ digestId: digest.id, attempts, reason }, "digest not sent");
      return true;
    });
    if (!done) break;
    sent++;
  }
  return sent;
}

/** A digest answers no invitation; its idempotency key names the digest. */
function digestEmail(
  digestId: string,
  message: Pick<OutgoingEmail, "to" | "from" | "replyTo" | "subject" | "html" | "text">,
): OutgoingEmail {
  return {
    ...message,
    invitationId: null,
    kind: "digest",
    idempotencyKey: `digest/${digestId}`,
    headers: {},
  };
}

export const digestJob: Job = {
  name: "digests",
  async runOnce(ctx) {
    if (!ctx.config.DIGESTS_ENABLED) return 0;
    await scheduleDigests(ctx);
    return sendDueDigests(ctx);
  },
};
