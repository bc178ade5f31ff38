import { describe, expect, it } from "vitest";
import { within } from "../src/deadline.ts";

const resolveAfter = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe("within", () => {
  it("answers the work's result when it comes first", async () => {
    expect(await within(resolveAfter(5, "work"), 1000, () => "late")).toBe("work");
  });

  it("answers the fallback when the work is slower than the deadline", async () => {
    expect(await within(resolveAfter(1000, "work"), 10, () => "late")).toBe("late");
  });

  it("rejects with the fallback's error, as a health check needs", async () => {
    const never = new Promise<void>(() => {});
    await expect(
      within(never, 10, () => {
        throw new Error("ping timed out");
      }),
    ).rejects.toThrow("ping timed out");
  });

  it("passes the work's own failure through", async () => {
    await expect(within(Promise.reject(new Error("down")), 1000, () => "late")).rejects.toThrow(
      "down",
    );
  });
});
