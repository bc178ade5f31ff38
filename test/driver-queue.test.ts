import fc from "fast-check";
import { describe, expect, it } from "vitest";
// The postgres driver's connection queue, as patched in patches/postgres+3.4.9.patch: its
// `remove` searched the slots `shift` had emptied, which under sustained load grow without end.
// @ts-expect-error: an internal module of the driver, without types.
import Queue from "../node_modules/postgres/src/queue.js";

interface DriverQueue {
  readonly length: number;
  push(x: object): object;
  shift(): object | undefined;
  remove(x: object): object | null;
}

type Op = { kind: "push" } | { kind: "shift" } | { kind: "remove"; pick: number };

// A backlog drained by slightly more shifts than pushes: long runs of shifts on a queue that is
// not empty, the case in which its emptied slots are dropped.
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ kind: "push" as const }), weight: 4 },
  { arbitrary: fc.constant({ kind: "shift" as const }), weight: 5 },
  { arbitrary: fc.nat(100_000).map((pick) => ({ kind: "remove" as const, pick })), weight: 1 },
);

describe("the driver's connection queue", () => {
  it("behaves as a first-in first-out list with removal, whatever the operations", () => {
    fc.assert(
      fc.property(
        fc.nat(300),
        fc.array(op, { minLength: 500, maxLength: 2000 }),
        (backlog, steps) => {
          const ops: Op[] = [
            ...Array.from({ length: backlog }, () => ({ kind: "push" as const })),
            ...steps,
          ];
          const queue = Queue() as DriverQueue;
          const model: object[] = [];
          const everPushed: object[] = [];
          for (const step of ops) {
            if (step.kind === "push") {
              const item = { n: everPushed.length };
              everPushed.push(item);
              model.push(item);
              expect(queue.push(item)).toBe(item);
            } else if (step.kind === "shift") {
              if (model.length === 0) continue;
              expect(queue.shift()).toBe(model.shift());
            } else {
              // Removes an item that may be queued or long gone, as the pool's `move` does.
              if (everPushed.length === 0) continue;
              const item = everPushed[step.pick % everPushed.length]!;
              const at = model.indexOf(item);
              if (at !== -1) model.splice(at, 1);
              expect(queue.remove(item)).toBe(at === -1 ? null : item);
            }
            expect(queue.length).toBe(model.length);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
