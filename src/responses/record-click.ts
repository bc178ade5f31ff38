import { and, desc, eq, inArray } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { beforeCommit, type PendingWrite, settleWrite } from "../db/client.ts";
import { clicks } from "../db/schema/index.ts";
import { isWellFormedToken } from "../surveys/tokens.ts";
import { burstFingerprints, fingerprintOf, type RecentClick } from "./burst.ts";
import {
  type ClickResponse,
  type ClickState,
  type ClickTarget,
  clickSnapshot,
  clickStateOf,
  insertClick,
  insertClickIfUnchanged,
  lockClickTarget,
} from "./click-statements.ts";
import { isClosed, windowEnd } from "./invitation-access.ts";
import { type ClickEvidence, scannerSignature } from "./request-evidence.ts";
import { isValidScore } from "./scale.ts";
import { type ResponseWrite, writeResponse } from "./write-response.ts";

type Verdict = (typeof clicks.$inferInsert)["verdict"];

export interface ClickInput {
  token: string;
  score: number;
  /** Set for HEAD and prefetch requests: shown, kept as evidence, never recorded. */
  lookAhead: string | undefined;
  /**
   * The click came from a score link on the thank-you page itself (a same-origin navigation
   * from this invitation's page): a person changing their answer, not a scanner's burst.
   */
  fromPage?: boolean;
  evidence: ClickEvidence;
}

/** What the page for a click shows. */
export interface ClickView extends ClickTarget {
  /** The score the page shows: the click's, or the recorded one once final. */
  score: number;
  final: boolean;
  comment: string | null;
}

export type ClickOutcome =
  | { kind: "unknown" }
  | { kind: "expired"; target: ClickTarget }
  | { kind: "invalid_score"; target: ClickTarget }
  | { kind: "shown"; view: ClickView };

/** The response a click leads to: nothing changes, or these fields are written. */
type Decision = { verdict: Verdict; reason: string | null; write?: ResponseWrite };

/** A decision, and what it changes besides the response. */
interface ClickPlan extends Decision {
  /** Clicks of a burst's sender that were taken for a person's: re-marked quarantined. */
  mistaken: RecentClick[];
  /** The answer falls back to the last person's click before the burst, looked up under the lock. */
  restoreEarlier: boolean;
}

/**
 * Records one click on a score link (see the README, "One click records the answer" and "Link
 * scanners cannot answer for a person").
 *
 * Every click is decided as if alone: one invitation's decisions are serialized. A click is first
 * decided on a snapshot; when it changes nothing but its own evidence (a repeat, a final answer,
 * a flagged or quarantined click beside a recorded answer) it is kept by one statement that
 * commits only if the invitation's click version is still the one the snapshot saw. Any other
 * click, and one whose snapshot went stale, is decided again under the invitation's row lock, so
 * concurrent clicks queue up and the unique index on `responses.invitation_id` is never raced.
 */
export async function recordClick({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ClickInput;
}): Promise<ClickOutcome> {
  if (!isWellFormedToken(input.token)) return { kind: "unknown" };
  const now = ctx.clock.now();
  const since = new Date(now.getTime() - ctx.config.SCANNER_BURST_SECONDS * 1000);
  const seen = await clickSnapshot(ctx.db, input.token, since);
  if (!seen) return { kind: "unknown" };
  const { target, state } = seen;
  const settled = settledWithoutDecision(target, state.previous, input.score, now);
  if (settled) return settled;
  const click = clickRecord(target, input, now);
  if (input.lookAhead) {
    await insertClick(ctx.db, { ...click, verdict: "ignored", reason: input.lookAhead });
    return shown(target, input.score, state.previous, now);
  }
  const plan = planClick(ctx, target, state, input, now);
  if (!plan.write && plan.mistaken.length === 0 && !plan.restoreEarlier) {
    const decided = { ...click, verdict: plan.verdict, reason: plan.reason };
    if (await insertClickIfUnchanged(ctx.db, decided, seen.version)) {
      return shown(target, input.score, state.previous, now);
    }
  }
  return decideUnderLock(ctx, input, now, since);
}

async function decideUnderLock(
  ctx: ServiceContext,
  input: ClickInput,
  now: Date,
  since: Date,
): Promise<ClickOutcome> {
  // A click that changes no response ends with its evidence insert, which goes out together
  // with COMMIT (`beforeCommit`): its outcome is read once the transaction is over.
  const [outcome, lastWrite] = await ctx.db.transaction(
    async (tx): Promise<[ClickOutcome, PendingWrite?]> => {
      const txCtx = { ...ctx, db: tx };
      // Both go out together (one round trip on a pipelining driver); the state is read once the
      // lock is held, so it sees every click decided before this one.
      const [target, state] = await Promise.all([
        lockClickTarget(tx, input.token),
        clickStateOf(tx, input.token, since),
      ]);
      if (!target || !state) return [{ kind: "unknown" }];
      const settled = settledWithoutDecision(target, state.previous, input.score, now);
      if (settled) return [settled];
      const plan = planClick(ctx, target, state, input, now);
      const decided = {
        ...clickRecord(target, input, now),
        verdict: plan.verdict,
        reason: plan.reason,
      };
      const write = await carryOut(txCtx, target, plan, input.score, now);
      if (!write) {
        return [
          shown(target, input.score, state.previous, now),
          beforeCommit(insertClick(tx, decided)),
        ];
      }
      const current = await writeResponse(txCtx, target, state.previous, write, now, {
        click: decided,
        webhookTypes: state.webhookTypes,
      });
      return [shown(target, input.score, current, now)];
    },
  );
  await settleWrite(lastWrite);
  return outcome;
}

function clickRecord(target: ClickTarget, input: ClickInput, now: Date) {
  return { invitationId: target.invitation.id, score: input.score, at: now, ...input.evidence };
}

/** The outcomes that need no decision: a score the scale lacks, a closed invitation. */
function settledWithoutDecision(
  target: ClickTarget,
  previous: ClickResponse | undefined,
  score: number,
  now: Date,
): ClickOutcome | undefined {
  if (!isValidScore(target.survey.scale, score)) return { kind: "invalid_score", target };
  if (!isClosed(target.invitation, now)) return undefined;
  return previous?.state === "recorded"
    ? shown(target, previous.score, previous, now)
    : { kind: "expired", target };
}

/** The page for a click: its score, or the recorded one once final. */
function shown(
  target: ClickTarget,
  score: number,
  response: ClickResponse | undefined,
  now: Date,
): ClickOutcome {
  const final = response ? isFinal(response, target, now) : false;
  return {
    kind: "shown",
    view: {
      ...target,
      score: response && final ? response.score : score,
      final,
      comment: response?.state === "recorded" ? response.comment : null,
    },
  };
}

/** Decides a click that is not a look-ahead, on the state it was read with. Changes nothing. */
function planClick(
  ctx: ServiceContext,
  target: ClickTarget,
  state: Pick<ClickState, "previous" | "recent">,
  input: ClickInput,
  now: Date,
): ClickPlan {
  const { previous, recent } = state;
  const senders = burstFingerprints(recent, { ...input.evidence, score: input.score });
  if (!input.fromPage && senders.has(fingerprintOf(input.evidence))) {
    return planBurst(previous, input.score, recent, senders);
  }
  const { invitation } = target;
  const signature = scannerSignature(
    input.evidence,
    now,
    invitation.deliveredAt ?? invitation.sentAt,
    ctx.config.SCANNER_BURST_SECONDS,
  );
  const decision: Decision = signature
    ? {
        verdict: "flagged",
        reason: signature,
        write: previous ? undefined : { state: "flagged", score: input.score },
      }
    : decideHuman(target, previous, input.score, now);
  return { ...decision, mistaken: [], restoreEarlier: false };
}

/** Carries out a plan's changes to earlier clicks; the response write it leads to, if any. */
async function carryOut(
  ctx: ServiceContext,
  target: ClickTarget,
  plan: ClickPlan,
  score: number,
  now: Date,
): Promise<ResponseWrite | undefined> {
  if (plan.mistaken.length > 0) {
    await ctx.db
      .update(clicks)
      .set({ verdict: "quarantined", reason: "burst" })
      .where(
        inArray(
          clicks.id,
          plan.mistaken.map((click) => click.id),
        ),
      );
  }
  if (!plan.restoreEarlier) return plan.write;
  const [before] = await ctx.db
    .select({ score: clicks.score, at: clicks.at })
    .from(clicks)
    .where(
      and(
        eq(clicks.invitationId, target.invitation.id),
        inArray(clicks.verdict, ["recorded", "changed"]),
      ),
    )
    .orderBy(desc(clicks.at))
    .limit(1);
  return before
    ? { state: "recorded", score: before.score, respondedAt: before.at }
    : { state: "quarantined", score, respondedAt: now };
}

function isFinal(response: ClickResponse, target: ClickTarget, now: Date): boolean {
  if (response.state !== "recorded") return false;
  return response.finalAt.getTime() <= now.getTime() || isClosed(target.invitation, now);
}

/** A click that is not part of a burst and carries no scanner signature: a person. */
function decideHuman(
  target: ClickTarget,
  previous: ClickResponse | undefined,
  score: number,
  now: Date,
): Decision {
  const opened = {
    state: "recorded" as const,
    score,
    respondedAt: now,
    finalAt: windowEnd(target.survey, now),
  };
  if (previous?.state !== "recorded") return { verdict: "recorded", reason: null, write: opened };
  if (previous.finalAt.getTime() <= now.getTime()) return { verdict: "final", reason: null };
  if (previous.score === score) return { verdict: "recorded", reason: "repeat" };
  return {
    verdict: "changed",
    reason: null,
    write: { state: "recorded", score, respondedAt: now },
  };
}

/**
 * A click from a sender that opened several scores within the burst window. Clicks of that
 * sender that were taken for a person's are re-marked, and an answer they set falls back to the
 * last answer given before them, or to quarantine when there was none.
 */
function planBurst(
  previous: ClickResponse | undefined,
  score: number,
  recent: RecentClick[],
  senders: Set<string>,
): ClickPlan {
  const quarantined = { verdict: "quarantined" as const, reason: "burst" };
  const mistaken = recent.filter(
    (click) =>
      senders.has(fingerprintOf(click)) &&
      (click.verdict === "recorded" || click.verdict === "changed"),
  );
  if (previous?.state !== "recorded") {
    return {
      ...quarantined,
      mistaken,
      restoreEarlier: false,
      write: { state: "quarantined", score },
    };
  }
  const setByScanner = mistaken.some(
    (click) => click.at.getTime() === previous.respondedAt.getTime(),
  );
  return { ...quarantined, mistaken, restoreEarlier: setByScanner };
}
