import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { tableCounts } from "./support/fuzz.ts";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: "4096" });
  admin = await t.key("admin");
});
afterAll(() => t.close());

describe("inputs that fuzzing found", () => {
  it("a NUL character in a survey question is refused, not a server error", async () => {
    const before = await tableCounts(t.ctx.db);
    const response = await t.request("/v1/surveys", {
      key: admin,
      json: {
        key: "nul-question",
        scale: "csat3",
        trigger: "manual",
        questions: { en: "a\u0000b" },
      },
    });
    expect((await problemOf(response)).detail).toMatch(/NUL/);
    expect(response.status).toBe(400);
    expect(await tableCounts(t.ctx.db)).toEqual(before);
  });

  it("an oversized form posted to an unsubscribe link is a friendly page, not JSON", async () => {
    const response = await t.app.request("/u/some-token", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": "10000",
      },
      body: `comment=${"x".repeat(9_992)}`,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("<!doctype html>");
  });

  it("an unknown method on the dashboard is a friendly page, not JSON", async () => {
    const response = await t.app.request("/dashboard", { method: "DELETE" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("an unknown API path is still problem+json", async () => {
    const response = await t.app.request("/v1/nothing-here");
    expect((await problemOf(response)).status).toBe(404);
  });
});
