import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addBusinessHours, formattedWallTime, wallTime } from "../src/followups/business-hours.ts";

// Zones with daylight saving on either hemisphere, half- and quarter-hour offsets, and Lord Howe,
// whose clocks move by 30 minutes.
const zones = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "America/St_Johns",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "America/Santiago",
] as const;

const FROM = Date.parse("2000-01-01T00:00:00Z");
const TO = Date.parse("2040-01-01T00:00:00Z");

describe("business hours in a time zone", () => {
  it("reads the same wall clock as Intl for any instant and zone", () => {
    fc.assert(
      fc.property(fc.integer({ min: FROM, max: TO }), fc.constantFrom(...zones), (ms, zone) => {
        expect(wallTime(new Date(ms), zone)).toEqual(formattedWallTime(new Date(ms), zone));
      }),
      { numRuns: 2_000, seed: 20261122 },
    );
  });

  it("reads the same wall clock as Intl around every clock change of a year", () => {
    const offset = (ms: number, zone: string) => {
      const w = formattedWallTime(new Date(ms), zone);
      return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - ms;
    };
    const HOUR = 3_600_000;
    let changes = 0;
    for (const zone of zones) {
      for (let ms = Date.parse("2026-01-01T00:00:00Z"); ms < Date.parse("2027-01-01"); ms += HOUR) {
        if (offset(ms, zone) === offset(ms + HOUR, zone)) continue;
        changes++;
        for (let at = ms - HOUR; at <= ms + 2 * HOUR; at += 5_000) {
          expect(wallTime(new Date(at), zone)).toEqual(formattedWallTime(new Date(at), zone));
        }
      }
    }
    // Two a year in each of the six zones that keep daylight saving.
    expect(changes).toBe(12);
  });

  it("counts business hours across a weekend and the start of daylight saving", () => {
    // Friday 15:00 EST: two hours left that day, then Monday from 09:00, now EDT.
    expect(addBusinessHours(new Date("2026-03-06T20:00:00Z"), 4, "America/New_York")).toEqual(
      new Date("2026-03-09T15:00:00Z"),
    );
    // Saturday in Berlin: nothing counts until Monday 09:00 CET.
    expect(addBusinessHours(new Date("2026-11-21T10:00:00Z"), 1, "Europe/Berlin")).toEqual(
      new Date("2026-11-23T09:00:00Z"),
    );
  });
});
