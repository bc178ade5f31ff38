/** The normal quantile for a two-sided 95% interval. */
const Z = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
  level: 0.95;
}

/**
 * Wilson score interval for a proportion `positive / n`, in percent. `n` may be fractional
 * (weighted credit); the formula holds for any positive n.
 */
export function wilsonPercent(positive: number, n: number): Interval | null {
  if (!(n > 0)) return null;
  const p = positive / n;
  const z2 = Z * Z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return {
    low: round(Math.max(0, centre - half) * 100),
    high: round(Math.min(1, centre + half) * 100),
    level: 0.95,
  };
}

/**
 * Normal interval for NPS on the -100..100 scale, with
 * SE = sqrt((p_promoters + p_detractors - nps^2) / n), nps as a fraction; clipped to the scale.
 */
export function npsInterval(promoters: number, detractors: number, n: number): Interval | null {
  if (!(n > 0)) return null;
  const pp = promoters / n;
  const pd = detractors / n;
  const nps = pp - pd;
  const se = Math.sqrt(Math.max(0, pp + pd - nps * nps) / n);
  return {
    low: round(Math.max(-1, nps - Z * se) * 100),
    high: round(Math.min(1, nps + Z * se) * 100),
    level: 0.95,
  };
}

/** Percent with the proportion's full precision rounded to 10 decimals (drops float noise). */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? round((part / whole) * 100) : null;
}

export function round(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
