import { describe, expect, it } from "vitest";
import { illFormedPath } from "../src/http/validation.ts";

describe("ill-formed strings in a request", () => {
  it("names the first value or key that is not well-formed Unicode, and nothing otherwise", () => {
    const body = { a: [{ ok: "fine" }, { b: ["x", "lone \ud800"] }], c: "\udfff too" };
    expect(illFormedPath(body)).toEqual(["a", "1", "b", "1"]);
    expect(illFormedPath({ fine: { "key \udc00": 1 } })).toEqual(["fine", "key \ufffd"]);
    expect(illFormedPath({ a: [1, null, { b: "ok" }], c: "ok" })).toBeUndefined();
    expect(illFormedPath("\ud800")).toEqual([]);
  });
});
