import { and, desc, eq, inArray } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { clicks } from "../db/schema/index.ts";
import { isWellFormedToken } from "../surveys/tokens.ts";
import { burstFingerprints, fingerprintOf, type RecentClick } from "./burst.ts";
import {
  beforeCommit,
  type ClickResponse,
  type ClickTarget,
  clickStateOf,
  findClickTarget,
  insertClick,
  type PendingWrite,
  settleWrite,
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

/**
 * Records one click on a score link (see the README, "How a click becomes an answer"). Every
 * decision for an invitation is taken under its row lock, so concurrent clicks queue up and
 * the unique index on `responses.invitation_id` is never raced.
 */
export async function recordClick({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ClickInput;
}): Promise<ClickOutcome> {
  if (!isWellFormedToken(input.token)) return { kind: "unknown" };
  // A click that changes no response ends with its evidence insert, which goes out together
  // with COMMIT (`beforeCommit`): its outcome is read once the transaction is over.
  const [outcome, lastWrite] = await ctx.db.transaction(
    async (tx): Promise<[ClickOutcome, PendingWrite?]> => {
      const txCtx = { ...ctx, db: tx };
      const now = ctx.clock.now();
      const burstSeconds = ctx.config.SCANNER_BURST_SECONDS;
      // Both go out together (one round trip on a pipelining driver); the state is read once the
      // lock is held, so it sees every click decided before this one.
      const [target, state] = await Promise.all([
        findClickTarget(tx, input.token, { lock: input.lookAhead === undefined }),
        clickStateOf(tx, input.token, new Date(now.getTime() - burstSeconds * 1000)),
      ]);
      if (!target || !state) return [{ kind: "unknown" }];
      if (!isValidScore(target.survey.scale, input.score)) {
        return [{ kind: "invalid_score", target }];
      }
      const { invitation } = target;
      const { previous, recent, webhookTypes } = state;
      const view = (score: number, response: ClickResponse | undefined): ClickOutcome => ({
        kind: "shown",
        view: {
          ...target,
          score: response && isFinal(response, target, now) ? response.score : score,
          final: response ? isFinal(response, target, now) : false,
          comment: response?.state === "recorded" ? response.comment : null,
        },
      });

      if (isClosed(invitation, now)) {
        return [
          previous?.state === "recorded"
            ? view(previous.score, previous)
            : { kind: "expired", target },
        ];
      }
      const click = { invitationId: invitation.id, score: input.score, at: now, ...input.evidence };
      if (input.lookAhead) {
        const evidence = insertClick(tx, { ...click, verdict: "ignored", reason: input.lookAhead });
        return [view(input.score, previous), beforeCommit(evidence)];
      }

      const senders = burstFingerprints(recent, { ...input.evidence, score: input.score });
      let decision: Decision;
      if (!input.fromPage && senders.has(fingerprintOf(input.evidence))) {
        decision = await decideBurst(txCtx, target, previous, input.score, now, recent, senders);
      } else {
        const signature = scannerSignature(
          input.evidence,
          now,
          invitation.deliveredAt ?? invitation.sentAt,
          burstSeconds,
        );
        decision = signature
          ? {
              verdict: "flagged",
              reason: signature,
              write: previous ? undefined : { state: "flagged", score: input.score },
            }
          : decideHuman(target, previous, input.score, now);
      }

      const decided = { ...click, verdict: decision.verdict, reason: decision.reason };
      if (!decision.write) {
        return [view(input.score, previous), beforeCommit(insertClick(tx, decided))];
      }
      const current = await writeResponse(txCtx, target, previous, decision.write, now, {
        click: decided,
        webhookTypes,
      });
      return [view(input.score, current)];
    },
  );
  await settleWrite(lastWrite);
  return outcome;
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
async function decideBurst(
  ctx: ServiceContext,
  target: ClickTarget,
  previous: ClickResponse | undefined,
  score: number,
  now: Date,
  recent: RecentClick[],
  senders: Set<string>,
): Promise<Decision> {
  const quarantined = { verdict: "quarantined" as const, reason: "burst" };
  const mistaken = recent.filter(
    (click) =>
      senders.has(fingerprintOf(click)) &&
      (click.verdict === "recorded" || click.verdict === "changed"),
  );
  if (mistaken.length > 0) {
    await ctx.db
      .update(clicks)
      .set({ verdict: "quarantined", reason: "burst" })
      .where(
        inArray(
          clicks.id,
          mistaken.map((click) => click.id),
        ),
      );
  }
  if (!previous) return { ...quarantined, write: { state: "quarantined", score } };
  if (previous.state !== "recorded")
    return { ...quarantined, write: { state: "quarantined", score } };
  const setByScanner = mistaken.some(
    (click) => click.at.getTime() === previous.respondedAt.getTime(),
  );
  if (!setByScanner) return quarantined;
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
    ? { ...quarantined, write: { state: "recorded", score: before.score, respondedAt: before.at } }
    : { ...quarantined, write: { state: "quarantined", score, respondedAt: now } };
}
