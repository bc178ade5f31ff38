import { describe, expect, it } from "vitest";
import { boundedMemo } from "../src/memo.ts";
import { hashIp, scannerSignature } from "../src/responses/request-evidence.ts";

describe("boundedMemo", () => {
  it("computes a key once while it is kept, and keeps at most its limit", () => {
    const computed: string[] = [];
    const upper = boundedMemo(3, (key) => {
      computed.push(key);
      return key.toUpperCase();
    });
    expect([upper("a"), upper("b"), upper("a"), upper("c")]).toEqual(["A", "B", "A", "C"]);
    expect(computed).toEqual(["a", "b", "c"]);
    // Full: the next new key starts it over, so "a" is computed again.
    expect([upper("d"), upper("a"), upper("d")]).toEqual(["D", "A", "D"]);
    expect(computed).toEqual(["a", "b", "c", "d", "a"]);
  });

  it("keeps falsy results like any other", () => {
    let calls = 0;
    const none = boundedMemo(8, () => {
      calls++;
      return "";
    });
    none("x");
    none("x");
    expect(calls).toBe(1);
  });
});

describe("kept click evidence", () => {
  it("hashes an address the same way each time, and differently under another secret", () => {
    const first = hashIp("secret-one", "203.0.113.9");
    expect(hashIp("secret-one", "203.0.113.9")).toBe(first);
    expect(hashIp("secret-two", "203.0.113.9")).not.toBe(first);
    expect(hashIp("secret-one", "203.0.113.9")).toBe(first);
    expect(hashIp("secret-one", "203.0.113.10")).not.toBe(first);
    expect(first).toMatch(/^[\w-]{22}$/);
    expect(first).not.toContain("203");
  });

  it("names a scanner agent each time it is seen", () => {
    const at = new Date("2026-11-02T10:00:00Z");
    const scanner = {
      userAgent: "Mozilla/5.0 BingPreview/1.0b",
      acceptLanguage: "en",
      ipHash: null,
    };
    const person = { userAgent: "Mozilla/5.0 Firefox/140.0", acceptLanguage: "en", ipHash: null };
    for (let i = 0; i < 3; i++) {
      expect(scannerSignature(scanner, at, null, 10)).toBe("agent:bing-preview");
      expect(scannerSignature(person, at, null, 10)).toBeUndefined();
    }
  });
});
