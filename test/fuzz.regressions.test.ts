import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { tableCounts } from "./support/fuzz.ts";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: "error" });
  admin = await t.key("admin");
});
afterAll(() => t.close());

describe("inputs that fuzzing found", () => {
  it("a NUL character in a survey question is refused, not a server error", async () => {
    const before = await tableCounts(t.ctx.db);
    const response = await t.request("/v1/surveys", {
      key: admin,
      json: { key: "nul-question", scale: "csat3", trigger: "manual", questions: { en: "a\u0000b" } },
    });
    const problem = await problemOf(response);
    console.log(problem);
    expect(response.status).toBe(400);
    expect(await tableCounts(t.ctx.db)).toEqual(before);
  });
});
