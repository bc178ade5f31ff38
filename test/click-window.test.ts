import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClickWindowEntry } from "../src/db/schema/index.ts";
import {
  burstSenders,
  type SenderScore,
  senderOf,
  WINDOW_MARGIN_MS,
  windowSince,
  windowWith,
} from "../src/responses/burst.ts";

const BURST_MS = 10_000;

/** A click of the model: a sender, a score, and the time since the one before. */
const clickArb = fc.record({
  sender: fc.constantFrom("a", "b", "c", "d", "e"),
  score: fc.integer({ min: 0, max: 4 }),
  gapMs: fc.integer({ min: 0, max: 15_000 }),
  // How far behind the clock of the instance deciding this click runs (less than the margin).
  skewMs: fc.integer({ min: 0, max: WINDOW_MARGIN_MS - 1 }),
  // The invitation's window went unknown before this click (erasure, an older invitation).
  forget: fc.boolean(),
  // Decided under the row lock (a first answer, a change), which rebuilds the window.
  locked: fc.boolean(),
});

const isBurst = (window: Array<Pick<SenderScore, "sender" | "score">>, current: SenderScore) =>
  burstSenders(window, current).has(current.sender);

describe("the click window kept on the invitation", () => {
  it("decides every burst check as the clicks themselves would", () => {
    fc.assert(
      fc.property(fc.array(clickArb, { minLength: 1, maxLength: 40 }), (steps) => {
        const clicks: SenderScore[] = [];
        let window: ClickWindowEntry[] | null = [];
        let clock = Date.UTC(2026, 10, 18, 17, 0, 0);
        for (const step of steps) {
          clock += step.gapMs;
          const now = new Date(clock - step.skewMs);
          const since = new Date(now.getTime() - BURST_MS);
          const current = { sender: step.sender, score: step.score, at: now };
          if (step.forget) window = null;
          const truth = clicks.filter((click) => click.at.getTime() > since.getTime());
          if (window !== null) {
            expect(isBurst(windowSince(window, since), current)).toBe(isBurst(truth, current));
          }
          if (window === null || step.locked) {
            // Decided under the row lock from the clicks, which writes the window anew.
            const kept = clicks.filter(
              (click) => click.at.getTime() > since.getTime() - WINDOW_MARGIN_MS,
            );
            window = windowWith([], [...kept, current], since);
          } else {
            window = windowWith(window, [current], since);
          }
          clicks.push(current);
        }
      }),
    );
  });

  it("keeps one entry per sender and score, with its latest time, and drops old ones", () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 18, 17, 0, seconds));
    const since = at(60);
    const window = windowWith(
      [
        ["a", 1, at(50).getTime()],
        ["b", 2, at(20).getTime()],
      ],
      [
        { sender: "a", score: 1, at: at(65) },
        { sender: "a", score: 2, at: at(66) },
        { sender: "a", score: 1, at: at(62) },
      ],
      since,
    );
    // "b" was last seen more than the margin before the burst window: gone.
    expect(window).toEqual([
      ["a", 1, at(65).getTime()],
      ["a", 2, at(66).getTime()],
    ]);
    // Entries kept for the margin are not part of the burst window itself.
    expect(windowSince(window!, since)).toEqual([
      { sender: "a", score: 1, at: at(65) },
      { sender: "a", score: 2, at: at(66) },
    ]);
    expect(windowSince([["a", 1, at(50).getTime()]], since)).toEqual([]);
  });

  it("becomes unknown when a flood of senders would make it long", () => {
    const now = new Date(Date.UTC(2026, 10, 18, 17, 0, 0));
    const since = new Date(now.getTime() - BURST_MS);
    const flood = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ sender: `s${i}`, score: i % 5, at: now }));
    expect(windowWith([], flood(64), since)).toHaveLength(64);
    expect(windowWith([], flood(65), since)).toBeNull();
  });
});

describe("senders", () => {
  it("are the same for the same agent, languages and address, and differ when one differs", () => {
    const evidence = { userAgent: "Mozilla/5.0", acceptLanguage: "en", ipHash: "h1" };
    const sender = senderOf(evidence);
    expect(senderOf({ ...evidence })).toBe(sender);
    expect(sender).toMatch(/^[\w-]{16}$/);
    expect(senderOf({ ...evidence, userAgent: "Mozilla/5.1" })).not.toBe(sender);
    expect(senderOf({ ...evidence, acceptLanguage: "de" })).not.toBe(sender);
    expect(senderOf({ ...evidence, ipHash: "h2" })).not.toBe(sender);
  });

  it("a sender opening two scores is a burst; three senders over three scores all are", () => {
    expect(burstSenders([{ sender: "a", score: 1 }], { sender: "a", score: 1 })).toEqual(new Set());
    expect(burstSenders([{ sender: "a", score: 1 }], { sender: "a", score: 2 })).toEqual(
      new Set(["a"]),
    );
    expect(
      burstSenders(
        [
          { sender: "a", score: 1 },
          { sender: "b", score: 2 },
        ],
        { sender: "c", score: 3 },
      ),
    ).toEqual(new Set(["a", "b", "c"]));
  });
});
