import { hash } from "node:crypto";
import type { ClickWindowEntry } from "../db/schema/index.ts";
import type { ClickEvidence } from "./request-evidence.ts";

/** One sender opening one score at a moment: what the burst analysis looks at. */
export interface SenderScore {
  sender: string;
  score: number;
  at: Date;
}

/** A click seen within the burst window, as a decision under the row lock reads it. */
export interface RecentClick extends SenderScore {
  id: string;
  verdict: string;
  /** `comment` for an answer given with the page's form: always a person's. */
  reason: string | null;
  /** From the thank-you page's own links or form: not evidence of a burst (see `burstOf`). */
  fromPage: boolean;
}

/**
 * Who sent a click, as far as the request tells (agent, languages and network), as a short hash:
 * two clicks have the same sender when all three are equal.
 */
export function senderOf(evidence: ClickEvidence): string {
  return hash(
    "sha256",
    `${evidence.userAgent ?? ""}\n${evidence.acceptLanguage ?? ""}\n${evidence.ipHash ?? ""}`,
    "base64url",
  ).slice(0, 16);
}

/**
 * The senders that behaved like a scanner within the window: one sender opening several
 * different scores, or (scanners that rotate their identity) three or more senders that each
 * opened a single score, the scores different. A person clicks one score; a sender that opened a
 * single score stays clean unless the rotating pattern is present, and senders already caught
 * opening several scores (two gateways that each open every link) are no part of that pattern.
 * Only senders and scores count, not how often.
 */
export function burstSenders(
  window: Array<Pick<SenderScore, "sender" | "score">>,
  current?: Pick<SenderScore, "sender" | "score">,
): Set<string> {
  const scoresBySender = new Map<string, Set<number>>();
  for (const click of current ? [...window, current] : window) {
    const scores = scoresBySender.get(click.sender) ?? new Set<number>();
    scores.add(click.score);
    scoresBySender.set(click.sender, scores);
  }
  const senders = new Set<string>();
  const single = new Map<string, number>();
  for (const [sender, scores] of scoresBySender) {
    if (scores.size > 1) senders.add(sender);
    else single.set(sender, scores.values().next().value!);
  }
  if (single.size >= 3 && new Set(single.values()).size >= 3) {
    for (const sender of single.keys()) senders.add(sender);
  }
  return senders;
}

/*
 * The click window kept on the invitation row: each (sender, score) pair its clicks opened
 * lately, look-aheads aside, with the time of the latest. Every click decision writes it in the
 * statement that keeps the click, so a click checks the burst window without reading the clicks.
 * It may hold more than the burst window (never less): entries stay a margin past the window, so
 * instances whose clocks differ slightly agree. Null means unknown (an invitation from before the
 * window was kept, an erased contact's, a flood of senders): such a click is decided under the
 * row lock from the clicks themselves, and that decision writes the window anew.
 */

/** How long entries are kept past the burst window. */
export const WINDOW_MARGIN_MS = 30_000;

/** More pairs than this within the kept time is a flood: the window becomes unknown. */
const WINDOW_LIMIT = 64;

/** The pairs of a kept window opened after `since`. */
export function windowSince(window: ClickWindowEntry[], since: Date): SenderScore[] {
  const after = since.getTime();
  return window
    .filter(([, , at]) => at > after)
    .map(([sender, score, at]) => ({ sender, score, at: new Date(at) }));
}

/** A window holding `clicks` and the entries of `window` still kept at `since`. */
export function windowWith(
  window: ClickWindowEntry[],
  clicks: SenderScore[],
  since: Date,
): ClickWindowEntry[] | null {
  const keptAfter = since.getTime() - WINDOW_MARGIN_MS;
  const latest = new Map<string, ClickWindowEntry>();
  const add = (sender: string, score: number, at: number) => {
    if (at <= keptAfter) return;
    const key = `${score} ${sender}`;
    const known = latest.get(key);
    if (!known || known[2] < at) latest.set(key, [sender, score, at]);
  };
  for (const [sender, score, at] of window) add(sender, score, at);
  for (const click of clicks) add(click.sender, click.score, click.at.getTime());
  return latest.size > WINDOW_LIMIT ? null : [...latest.values()];
}
