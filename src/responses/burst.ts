import type { ClickEvidence } from "./request-evidence.ts";

/** A click seen within the burst window, as the burst analysis needs it. */
export interface RecentClick extends ClickEvidence {
  id: string;
  score: number;
  verdict: string;
  at: Date;
}

/** Who sent a click, as far as the request tells: agent, languages and network. */
export function fingerprintOf(evidence: ClickEvidence): string {
  return `${evidence.userAgent ?? ""}\n${evidence.acceptLanguage ?? ""}\n${evidence.ipHash ?? ""}`;
}

/**
 * The fingerprints that behaved like a scanner within the window: one sender opening several
 * different scores, or (scanners that rotate their identity) three or more senders each opening
 * a different score. A person clicks one score; a sender that opened a single score stays clean
 * unless the rotating pattern is present.
 */
export function burstFingerprints(
  window: RecentClick[],
  current: ClickEvidence & { score: number },
) {
  const scoresBySender = new Map<string, Set<number>>();
  for (const click of [...window, current]) {
    const sender = fingerprintOf(click);
    const scores = scoresBySender.get(sender) ?? new Set<number>();
    scores.add(click.score);
    scoresBySender.set(sender, scores);
  }
  const senders = new Set<string>();
  for (const [sender, scores] of scoresBySender) if (scores.size > 1) senders.add(sender);
  const distinctScores = new Set([...window, current].map((click) => click.score));
  if (scoresBySender.size >= 3 && distinctScores.size >= 3) {
    for (const sender of scoresBySender.keys()) senders.add(sender);
  }
  return senders;
}
