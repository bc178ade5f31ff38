import { describe, expect, it } from "vitest";
import { unstorablePath } from "../src/http/validation.ts";
import { instantInput, instantOrDateInput } from "../src/instant.ts";

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

describe("instants in a request", () => {
  it("take RFC 3339's lower-case t and z, and come out in upper case", () => {
    for (const schema of [instantInput(), instantOrDateInput()]) {
      expect(schema.parse("2026-11-18t16:42:10z")).toBe("2026-11-18T16:42:10Z");
      expect(schema.parse("2026-11-18t16:42:10.5+01:00")).toBe("2026-11-18T16:42:10.5+01:00");
    }
    expect(instantOrDateInput().parse("2026-11-18")).toBe("2026-11-18");
  });

  it("are otherwise as strict as before", () => {
    for (const schema of [instantInput(), instantOrDateInput()]) {
      for (const value of [
        "2026-11-18x16:42:10z",
        "2026-11-18t16:42:10",
        "2026-11-18 16:42:10z",
        "2026-11-18t16:42:10+16:00",
        "0000-01-01t00:00:00z",
        "2026-11-18T16:42:10Zz",
      ]) {
        expect(schema.safeParse(value).success, value).toBe(false);
      }
    }
  });
});
