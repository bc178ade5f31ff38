import { and, desc, eq, inArray } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { beforeCommit, type PendingWrite, settleWrite } from "../db/client.ts";
import { clicks } from "../db/schema/index.ts";
import { hashToken, isWellFormedToken } from "../surveys/tokens.ts";
import {
  burstSenders,
  type RecentClick,
  type SenderScore,
  senderOf,
  WINDOW_MARGIN_MS,
  windowSince,
  windowWith,
} from "./burst.ts";
import { cachedSnapshot, forgetSnapshot, keepSnapshot } from "./click-snapshots.ts";
import {
  answerSetter,
  type ClickResponse,
  type ClickSnapshot,
  type ClickTarget,
  clickSnapshot,
  clickStateOf,
  insertClick,
  insertClickIfUnchanged,
  lockClickTarget,
  type PageData,
  setClickWindow,
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
  /** The answer the page shows is the recorded one: the click (or an earlier one) counted. */
  confirmed: boolean;
}

export type ClickOutcome =
  | { kind: "unknown" }
  | { kind: "expired"; target: ClickTarget }
  | { kind: "invalid_score"; target: ClickTarget }
  | { kind: "shown"; view: ClickView };

/** The response a click leads to: nothing changes, or these fields are written. */
type Decision = { verdict: Verdict; reason: string | null; write?: ResponseWrite };

/** The senders that behaved like scanners, and the burst window's clicks they were seen in. */
interface Burst<Click extends SenderScore = RecentClick> {
  senders: Set<string>;
  recent: Click[];
  /** The click that gave the current answer, when it is older than the window. */
  setter?: RecentClick;
}

/** A decision, and what it changes besides the response. */
interface ClickPlan extends Decision {
  /** Clicks of a burst's sender that were taken for a person's: re-marked quarantined. */
  mistaken: RecentClick[];
  /** The answer falls back to the last person's click before the burst, looked up under the lock. */
  restoreEarlier: boolean;
  /** With `restoreEarlier`: the burst's senders, whose older answers are no person's either. */
  burstSenders?: Set<string>;
}

/**
 * Records one click on a score link (see the README, "One click records the answer" and "Link
 * scanners cannot answer for a person").
 *
 * Every click is decided as if alone: one invitation's decisions are serialized. A click is first
 * decided on a snapshot, whose click window (see `burst.ts`) tells whether its sender may be part
 * of a burst; when it may not, and the click changes nothing but its own evidence (a repeat, a
 * final answer, a flagged click beside a recorded answer), it is kept by one statement that
 * commits only if the invitation's click version is still the one the snapshot saw. Any other
 * click, and one whose snapshot went stale, is decided again under the invitation's row lock from
 * the clicks themselves, so concurrent clicks queue up and the unique index on
 * `responses.invitation_id` is never raced. The snapshot a kept click leaves is remembered
 * (`click-snapshots.ts`): a repeat click of the same link is decided on it without reading the
 * invitation, and the same statement tells whether it still held.
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
  const tokenHash = hashToken(input.token);
  const current: SenderScore = { sender: senderOf(input.evidence), score: input.score, at: now };
  const cached = cachedSnapshot(ctx.db, tokenHash);
  if (cached) {
    // Only a click the snapshot's statement keeps is decided on a remembered snapshot.
    const kept =
      !input.lookAhead && !settledWithoutDecision(cached.target, cached.previous, input.score, now)
        ? await keepIfUnchanged(ctx, input, tokenHash, cached, current, since)
        : undefined;
    if (kept) return kept;
    forgetSnapshot(ctx.db, tokenHash);
  }
  const seen = await clickSnapshot(ctx.db, tokenHash);
  if (!seen) return { kind: "unknown" };
  const { target, previous } = seen;
  const settled = settledWithoutDecision(target, previous, input.score, now);
  if (settled) return settled;
  if (input.lookAhead) {
    const click = clickRecord(target, input, now);
    await insertClick(ctx.db, { ...click, verdict: "ignored", reason: input.lookAhead });
    return shown(target, input.score, previous, now);
  }
  const kept = await keepIfUnchanged(ctx, input, tokenHash, seen, current, since);
  if (kept) return kept;
  return decideUnderLock(ctx, input, current, since);
}

/**
 * A click decided on a snapshot and kept, when the snapshot's window rules out a burst of its
 * sender, the click changes no response, and the snapshot still holds when the click is kept;
 * undefined when it must be decided under the lock. The page shows the data read as it was kept.
 */
async function keepIfUnchanged(
  ctx: ServiceContext,
  input: ClickInput,
  tokenHash: string,
  seen: ClickSnapshot,
  current: SenderScore,
  since: Date,
): Promise<ClickOutcome | undefined> {
  const { target, previous, window } = seen;
  const now = current.at;
  if (window === null || burstOf(windowSince(window, since), current, input)) return undefined;
  const plan = planClick(ctx, target, previous, input, now, undefined);
  if (plan.write) return undefined;
  const decided = {
    ...clickRecord(target, input, now),
    verdict: plan.verdict,
    reason: plan.reason,
  };
  // A click from the page itself never enters the burst analysis, now or later.
  const next = windowWith(window, input.fromPage ? [] : [current], since);
  const page = await insertClickIfUnchanged(ctx.db, decided, {
    version: seen.version,
    window: next,
    sentAt: target.invitation.sentAt,
    deliveredAt: target.invitation.deliveredAt,
  });
  if (!page) return undefined;
  // The target is kept as it was when the page data did not change (the usual case): a
  // remembered snapshot then holds the same objects from click to click.
  const asKept = holdsPageData(target, page)
    ? target
    : {
        ...target,
        survey: { ...target.survey, followUpQuestions: page.followUpQuestions },
        contact: { ...target.contact, locale: page.locale },
      };
  keepSnapshot(ctx.db, tokenHash, {
    target: asKept,
    previous,
    window: next,
    version: seen.version + 1,
  });
  return shown(asKept, input.score, previous, now);
}

function holdsPageData(target: ClickTarget, page: PageData): boolean {
  if (target.contact.locale !== page.locale) return false;
  const held = target.survey.followUpQuestions;
  const read = page.followUpQuestions;
  const keys = Object.keys(read);
  return (
    keys.length === Object.keys(held).length &&
    keys.every((locale) => held[locale] === read[locale])
  );
}

async function decideUnderLock(
  ctx: ServiceContext,
  input: ClickInput,
  current: SenderScore,
  since: Date,
): Promise<ClickOutcome> {
  const now = current.at;
  // A decision ends with the click window's write (and the click's evidence, when it changes no
  // response), which goes out together with COMMIT (`beforeCommit`): its outcome is read once the
  // transaction is over.
  const [outcome, lastWrite] = await ctx.db.transaction(
    async (tx): Promise<[ClickOutcome, PendingWrite?]> => {
      const txCtx = { ...ctx, db: tx };
      // Both go out together (one round trip on a pipelining driver); the state is read once the
      // lock is held, so it sees every click decided before this one. It holds the clicks the
      // click window keeps, not only the burst window's: the window is written anew from them.
      const [target, state] = await Promise.all([
        lockClickTarget(tx, input.token),
        clickStateOf(tx, input.token, new Date(since.getTime() - WINDOW_MARGIN_MS)),
      ]);
      if (!target || !state) return [{ kind: "unknown" }];
      const settled = settledWithoutDecision(target, state.previous, input.score, now);
      if (settled) return [settled];
      const recent = state.recent.filter((click) => click.at.getTime() > since.getTime());
      const burst = burstOf(recent, current, input);
      // A burst's sender may have given the answer before the window: that click is found too.
      // A final answer is never taken back (see `planBurst`): nothing to look up.
      const answeredAt =
        state.previous?.state === "recorded" && state.previous.finalAt > now
          ? state.previous.respondedAt
          : null;
      if (burst && answeredAt && !recent.some((click) => +click.at === +answeredAt)) {
        burst.setter = await answerSetter(tx, target.invitation.id, answeredAt);
      }
      const plan = planClick(ctx, target, state.previous, input, now, burst);
      const decided = {
        ...clickRecord(target, input, now),
        verdict: plan.verdict,
        reason: plan.reason,
      };
      // The window holds what tells a burst: clicks from the page are left out.
      const fromLinks = state.recent.filter((click) => !click.fromPage);
      const kept = input.fromPage ? fromLinks : [...fromLinks, current];
      const keepWindow = () =>
        setClickWindow(tx, target.invitation.id, windowWith([], kept, since));
      const write = await carryOut(txCtx, target, plan, input.score, now);
      if (!write) {
        const keep = Promise.all([insertClick(tx, decided), keepWindow()]);
        return [
          shown(target, input.score, state.previous, now),
          beforeCommit(keep.then(() => undefined)),
        ];
      }
      const response = await writeResponse(txCtx, target, state.previous, write, now, {
        click: decided,
        webhookTypes: state.webhookTypes,
      });
      return [shown(target, input.score, response, now), beforeCommit(keepWindow())];
    },
  );
  await settleWrite(lastWrite);
  return outcome;
}

function clickRecord(target: ClickTarget, input: ClickInput, now: Date) {
  return {
    invitationId: target.invitation.id,
    score: input.score,
    at: now,
    fromPage: input.fromPage ?? false,
    ...input.evidence,
  };
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
  const shownScore = response && final ? response.score : score;
  return {
    kind: "shown",
    view: {
      ...target,
      score: shownScore,
      final,
      comment: response?.state === "recorded" ? response.comment : null,
      confirmed: response?.state === "recorded" && response.score === shownScore,
    },
  };
}

/**
 * The burst the click's sender takes part in within `recent` (the burst window's clicks), if any.
 * A click from the thank-you page's own links is a person changing their answer: it never makes
 * a burst, its own or another sender's. Its sender's clicks from the email links still can, and
 * then the page clicks of that sender are taken back with the rest (a scanner can follow links),
 * also the ones that come after the burst.
 */
function burstOf<Click extends SenderScore & { fromPage?: boolean }>(
  recent: Click[],
  current: SenderScore,
  input: ClickInput,
): Burst<Click> | undefined {
  const fromLinks = recent.filter((click) => !click.fromPage);
  const senders = burstSenders(fromLinks, input.fromPage ? undefined : current);
  return senders.has(current.sender) ? { senders, recent } : undefined;
}

/**
 * Decides a click that is not a look-ahead, on the response it was read with and the burst its
 * sender takes part in. Changes nothing.
 */
function planClick(
  ctx: ServiceContext,
  target: ClickTarget,
  previous: ClickResponse | undefined,
  input: ClickInput,
  now: Date,
  burst: Burst | undefined,
): ClickPlan {
  if (burst) return planBurst(previous, input.score, burst, now);
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
  // The last answer given before the burst by someone else than its senders (a comment is
  // always a person's); the senders' own older answers are taken back too.
  const earlier = await ctx.db
    .select({
      id: clicks.id,
      score: clicks.score,
      at: clicks.at,
      reason: clicks.reason,
      userAgent: clicks.userAgent,
      acceptLanguage: clicks.acceptLanguage,
      ipHash: clicks.ipHash,
    })
    .from(clicks)
    .where(
      and(
        eq(clicks.invitationId, target.invitation.id),
        inArray(clicks.verdict, ["recorded", "changed"]),
      ),
    )
    .orderBy(desc(clicks.at));
  const byScanner = (click: (typeof earlier)[number]) =>
    click.reason !== "comment" && (plan.burstSenders?.has(senderOf(click)) ?? false);
  const before = earlier.find((click) => !byScanner(click));
  const alsoMistaken = earlier
    .filter((click) => (!before || click.at > before.at) && byScanner(click))
    .map((click) => click.id);
  if (alsoMistaken.length > 0) {
    await ctx.db
      .update(clicks)
      .set({ verdict: "quarantined", reason: "burst" })
      .where(inArray(clicks.id, alsoMistaken));
  }
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
 * sender that were taken for a person's are re-marked (an answer given with the page's form
 * aside: a comment is always a person's), and an answer they set, within the window or before
 * it, falls back to the last answer given before them, or to quarantine when there was none.
 */
function planBurst(
  previous: ClickResponse | undefined,
  score: number,
  { senders, recent, setter }: Burst,
  now: Date,
): ClickPlan {
  const quarantined = { verdict: "quarantined" as const, reason: "burst" };
  const takenForPerson = (click: RecentClick) =>
    senders.has(click.sender) &&
    (click.verdict === "recorded" || click.verdict === "changed") &&
    click.reason !== "comment";
  const mistaken = recent.filter(takenForPerson);
  if (setter && takenForPerson(setter) && !mistaken.some((click) => click.id === setter.id)) {
    mistaken.push(setter);
  }
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
  // After the edit window the answer is final: a burst keeps only its own clicks out. Unless the
  // burst's own first click set it, in the window's last moments: that answer was never a person's.
  if (previous.finalAt.getTime() <= now.getTime() && !setByScanner) {
    return { ...quarantined, mistaken: [], restoreEarlier: false };
  }
  return { ...quarantined, mistaken, restoreEarlier: setByScanner, burstSenders: senders };
}
