import { describe, expect, it } from "vitest";
import { localParts, zonedMidnight } from "../src/goals/calendar.ts";

const dateOf = (at: Date, zone: string) => {
  const p = localParts(at, zone);
  return Date.UTC(p.year, p.month - 1, p.day);
};

describe("a zone's midnight is the first instant of the local day", () => {
  it.each([
    // Clocks go back at 01:00 to 00:00: midnight happens twice, the first one counts.
    ["Atlantic/Azores", 2026, 10, 25, "2026-10-25T00:00:00.000Z"],
    ["America/Havana", 2026, 11, 1, "2026-11-01T04:00:00.000Z"],
    // Clocks skip from 00:00 to 01:00: the day begins at the skip.
    ["America/Asuncion", 2023, 10, 1, "2023-10-01T04:00:00.000Z"],
    ["Europe/Berlin", 2026, 3, 29, "2026-03-28T23:00:00.000Z"],
    ["Europe/Berlin", 2026, 10, 25, "2026-10-24T22:00:00.000Z"],
  ])("%s on %i-%i-%i is %s", (zone, year, month, day, expected) => {
    expect(zonedMidnight(year, month, day, zone).toISOString()).toBe(expected);
  });

  it("holds for every day of two years in zones with unusual clock changes", () => {
    const zones = [
      "Atlantic/Azores",
      "America/Havana",
      "America/Asuncion",
      "America/Santiago",
      "Australia/Lord_Howe",
      "Pacific/Chatham",
      "Asia/Kathmandu",
      "UTC",
    ];
    let checked = 0;
    for (const zone of zones) {
      for (let d = Date.UTC(2023, 0, 1); d < Date.UTC(2025, 0, 1); d += 86_400_000) {
        const day = new Date(d);
        const midnight = zonedMidnight(
          day.getUTCFullYear(),
          day.getUTCMonth() + 1,
          day.getUTCDate(),
          zone,
        );
        // On that local day, and the minute before is the day before.
        expect(dateOf(midnight, zone), `${zone} ${day.toISOString()}`).toBe(d);
        expect(dateOf(new Date(midnight.getTime() - 60_000), zone)).toBe(d - 86_400_000);
        checked += 1;
      }
    }
    expect(checked).toBe(8 * 731);
  });
});
