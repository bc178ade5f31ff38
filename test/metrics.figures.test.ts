import { describe, expect, it } from "vitest";
import { csatFigure, npsFigure, responseRateFigure } from "../src/metrics/figures.ts";

describe("figures from weighted cells", () => {
  // Weighted shares are decimals: 0.3 + 0.6 + 0.1 sums to 0.9999999999999999 in floating point.
  const shares = [0.3, 0.6, 0.1];

  it("judge a low sample by the n they report, not by the float sum", () => {
    const csat = csatFigure(
      shares.map((count, i) => ({ scale: "csat5" as const, score: 5 - i, count })),
      1,
    );
    expect(csat.n).toBe(1);
    expect(csat.lowSample).toBe(false);

    const nps = npsFigure(
      shares.map((count, i) => ({ scale: "nps" as const, score: 10 - i * 3, count })),
      1,
    );
    expect(nps.n).toBe(1);
    expect(nps.lowSample).toBe(false);

    const rate = responseRateFigure(
      shares.map((count, i) => ({ scale: "csat3" as const, score: i % 2, count })),
      1,
    );
    expect(rate.n).toBe(1);
    expect(rate.lowSample).toBe(false);
  });

  it("still flag a sample under the minimum", () => {
    const csat = csatFigure([{ scale: "csat3", score: 3, count: 0.5 }], 1);
    expect(csat.n).toBe(0.5);
    expect(csat.lowSample).toBe(true);
  });
});
