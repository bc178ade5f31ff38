import { describe, expect, it } from "vitest";
import { unstorablePath } from "../src/http/validation.ts";

describe("ill-formed strings in a request", () => {
  it("names the first value or key that is not well-formed Unicode, and nothing otherwise", () => {
    const body = { a: [{ ok: "fine" }, { b: ["x", "lone \ud800"] }], c: "\udfff too" };
    expect(unstorablePath(body)).toEqual(["a", "1", "b", "1"]);
    expect(unstorablePath({ fine: { "key \udc00": 1 } })).toEqual(["fine", "key \ufffd"]);
    expect(unstorablePath({ a: [1, null, { b: "ok" }], c: "ok" })).toBeUndefined();
    expect(unstorablePath("\ud800")).toEqual([]);
  });

  it("names a value or key holding a NUL character, which PostgreSQL cannot store either", () => {
    expect(unstorablePath({ a: { b: "tab\tok", c: "nul \u0000 here" } })).toEqual(["a", "c"]);
    expect(unstorablePath({ "k\u0000": 1 })).toEqual(["k\ufffd"]);
  });
});
