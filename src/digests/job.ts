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
 * How long a claimed digest is left to its worker: far longer than a send may take (the
 * transport's timeout), after which another worker may take it over.
 */
const LEASE_MS = 10 * 60_000;

/**
 * Sends due digests one at a time. Each is claimed in a short transaction of its own (`FOR
 * UPDATE SKIP LOCKED`, then its next attempt moved a lease ahead), so two workers never send the
 * same one and no transaction stays open while the provider answers (on the embedded database
 * that would hold up every request). The result is recorded only by the worker whose lease it
 * still is. A crash after the provider accepted sends again once the lease ends, with the same
 * idempotency key, which the provider drops as a repeat. While the provider asks to wait, the
 * job gives up its turn; a rate limit is not a failed attempt.
 */
export async function sendDueDigests(ctx: ServiceContext): Promise<number> {
  const transport = transportFor(ctx.config);
  let sent = 0;
  for (let i = 0; i < BATCH; i++) {
    // The transport's pace is waited out before a digest is claimed.
    const wait = transport.readyInMs();
    if (wait > MAX_PACE_WAIT_MS) break;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const claimed = await claimDigest(ctx);
    if (!claimed) break;
    const { digest, team, lease } = claimed;
    // Seven local days back: a week that holds a clock change is not 7 x 24 hours.
    const previousFrom = localMidnightBefore(digest.periodStart, 7, ctx.config.DIGEST_TIMEZONE);
    const content = await composeDigest({
      ctx,
      input: {
        team,
        week: digest.week,
        from: digest.periodStart,
        to: digest.periodEnd,
        previousFrom,
      },
    });
    const branding = await loadBranding({ ctx });
    const rendered = await renderDigestEmail(content, branding);
    const email = digestEmail(digest.id, {
      to: digest.toEmail,
      from: formatFrom(branding),
      replyTo: branding.replyTo,
      ...rendered,
    });
    const outcome = await transport.send(ctx, `digest/${digest.id}`, [email]);
    const now = ctx.clock.now();
    const result = outcome.kind === "accepted" ? outcome.results[0] : undefined;
    const stillOurs = and(
      eq(digests.id, digest.id),
      eq(digests.status, "pending"),
      eq(digests.nextAttemptAt, lease),
    );
    if (result && "providerMessageId" in result) {
      await ctx.db
        .update(digests)
        .set({
          status: "sent",
          sentAt: now,
          attempts: digest.attempts + 1,
          providerMessageId: result.providerMessageId,
          lastError: null,
        })
        .where(stillOurs);
      sent++;
      continue;
    }
    const reason =
      outcome.kind === "accepted"
        ? result && "error" in result
          ? result.error
          : "no result"
        : outcome.reason;
    if (outcome.kind === "retry" && outcome.rateLimited) {
      // The provider's pace, not this digest's fault: it waits as long as asked, uncounted.
      await ctx.db
        .update(digests)
        .set({
          lastError: reason.slice(0, 500),
          nextAttemptAt: new Date(now.getTime() + Math.max(1000, outcome.retryAfterMs ?? 1000)),
        })
        .where(stillOurs);
      ctx.logger.info({ digestId: digest.id, reason }, "digest waits for the provider");
      break;
    }
    const attempts = digest.attempts + 1;
    const giveUp = outcome.kind === "rejected" || attempts >= MAX_ATTEMPTS;
    await ctx.db
      .update(digests)
      .set({
        status: giveUp ? "failed" : "pending",
        attempts,
        lastError: reason.slice(0, 500),
        nextAttemptAt: new Date(now.getTime() + 60_000 * 2 ** attempts),
      })
      .where(stillOurs);
    ctx.logger.warn({ digestId: digest.id, attempts, reason }, "digest not sent");
  }
  return sent;
}

/** The next due digest, leased to this worker (`LEASE_MS`); undefined when none is due. */
async function claimDigest(ctx: ServiceContext) {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx
      .select({ digest: digests, team: { id: teams.id, key: teams.key, name: teams.name } })
      .from(digests)
      .innerJoin(teams, eq(teams.id, digests.teamId))
      .where(and(eq(digests.status, "pending"), lte(digests.nextAttemptAt, now)))
      .orderBy(asc(digests.nextAttemptAt))
      .limit(1)
      .for("update", { of: digests, skipLocked: true });
    if (!row) return undefined;
    const lease = new Date(now.getTime() + LEASE_MS);
    await tx.update(digests).set({ nextAttemptAt: lease }).where(eq(digests.id, row.digest.id));
    return { ...row, lease };
  });
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
