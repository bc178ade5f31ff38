import type { Scale } from "../db/schema/index.ts";

const ranges: Record<Scale, { min: number; max: number }> = {
  csat3: { min: 1, max: 3 },
  csat5: { min: 1, max: 5 },
  nps: { min: 0, max: 10 },
};

/** The scores a scale offers, lowest first. */
export function scoresOf(scale: Scale): number[] {
  const { min, max } = ranges[scale];
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

export function isValidScore(scale: Scale, score: number): boolean {
  const { min, max } = ranges[scale];
  return Number.isInteger(score) && score >= min && score <= max;
}

/** A score path segment as a number, or undefined unless it is a plain integer. */
export function parseScore(segment: string): number | undefined {
  return /^(0|[1-9][0-9]?)$/.test(segment) ? Number(segment) : undefined;
}

/** Unhappy (CSAT) or detractor (NPS) answers get the survey's follow-up question. */
export function isUnhappy(scale: Scale, score: number): boolean {
  if (scale === "nps") return score <= 6;
  if (scale === "csat5") return score <= 2;
  return score <= 1;
}

/** How a score sits on its scale, for labels and colours. */
export function sentimentOf(scale: Scale, score: number): "negative" | "neutral" | "positive" {
  if (isUnhappy(scale, score)) return "negative";
  if (scale === "nps") return score >= 9 ? "positive" : "neutral";
  if (scale === "csat5") return score >= 4 ? "positive" : "neutral";
  return score >= 3 ? "positive" : "neutral";
}
