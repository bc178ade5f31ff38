import type { Scale } from "../db/schema/index.ts";

/** Unhappy CSAT (csat3 = 1, csat5 <= 2) and NPS detractors (0-6) are negative. */
export function isNegativeScore(scale: Scale, score: number): boolean {
  if (scale === "csat3") return score <= 1;
  if (scale === "csat5") return score <= 2;
  return score <= 6;
}

/** Only recorded responses are real answers; a quarantined or flagged one opens nothing. */
export function isNegativeAnswer(response: { state: string; scale: Scale; score: number }) {
  return response.state === "recorded" && isNegativeScore(response.scale, response.score);
}
