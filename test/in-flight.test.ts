import { describe, expect, it } from "vitest";
import { InFlightRequests } from "../src/http/in-flight.ts";

describe("requests in flight", () => {
  it("drains once every tracked handler has settled, failed ones included", async () => {
    const inFlight = new InFlightRequests();
    await inFlight.drained();
    let finish!: () => void;
    let fail!: (error: Error) => void;
    const first = inFlight.track(() => new Promise<void>((resolve) => (finish = resolve)));
    const second = inFlight.track(() => new Promise<void>((_, reject) => (fail = reject)));
    expect(inFlight.active).toBe(2);
    let drained = false;
    const waiting = inFlight.drained().then(() => {
      drained = true;
    });
    finish();
    await first;
    expect(drained).toBe(false);
    fail(new Error("handler failed"));
    await expect(second).rejects.toThrow("handler failed");
    await waiting;
    expect(drained).toBe(true);
    expect(inFlight.active).toBe(0);
  });
});
