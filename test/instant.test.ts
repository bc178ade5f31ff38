import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTimestamp } from "../src/instant.ts";

describe("isoTimestamp", () => {
  it("is toISOString, for instants in the same second and apart, in any order", () => {
    const instant = fc.oneof(
      // The whole range a Date holds, and the four-digit years' edges and millisecond carries.
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.integer({ min: -62_167_219_201_000, max: -62_167_219_199_000 }),
      fc.integer({ min: 253_402_300_798_000, max: 253_402_300_801_000 }),
      fc.integer({ min: 1_795_000_000_000, max: 1_795_000_003_000 }),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (instants) => {
        for (const ms of instants) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 500 },
    );
  });

  it("formats a fraction of a millisecond as toISOString does", () => {
    for (const ms of [1_795_000_000_000.5, -0.5, 999.9]) {
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
