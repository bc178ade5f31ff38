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

  it("a NUL character in an API body is a 400 naming the field, and writes nothing", async () => {
    const before = await tableCounts(t.ctx.db);
    const response = await t.request("/v1/clients/nul-1", {
      method: "PUT",
      key: admin,
      json: { name: "Acme\u0000 Dental" },
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]).toMatchObject({ path: "name", in: "body" });
    expect(await tableCounts(t.ctx.db)).toEqual(before);
  });

  it("an unpaired surrogate in an API body is a 400 naming the field, and writes nothing", async () => {
    const before = await tableCounts(t.ctx.db);
    const event = await t.request("/v1/events", {
      key: admin,
      json: {
        id: "surrogate-1",
        type: "ticket.closed",
        occurredAt: "2026-11-18T16:42:10Z",
        workItem: {
          externalId: "48213",
          kind: "ticket",
          summary: "Outlook",
          board: "\udfff lone surrogate",
          openedAt: "2026-11-18T16:00:00Z",
          closedAt: "2026-11-18T16:42:10Z",
        },
        client: { externalId: "250", name: "Acme Dental Group" },
        contact: { externalId: "1733", name: "Priya Raman" },
        touches: [],
      },
    });
    expect(event.status).toBe(400);
    expect((await problemOf(event)).errors?.[0]).toMatchObject({
      path: "workItem.board",
      in: "body",
    });
    const integration = await t.request("/v1/integrations", {
      key: admin,
      json: { vendor: "connectwise", name: "cw", settings: { closedStatuses: ["\ud800"] } },
    });
    expect(integration.status).toBe(400);
    expect((await problemOf(integration)).errors?.[0]?.path).toBe("settings.closedStatuses.0");
    expect(await tableCounts(t.ctx.db)).toEqual(before);
  });

  it("a date in the year 0 is a 400 naming the field, in events and metrics alike", async () => {
    const event = await t.request("/v1/events", {
      key: admin,
      json: {
        id: "year-zero",
        type: "ticket.updated",
        occurredAt: "0000-01-01T00:00:00Z",
        workItem: {
          externalId: "1",
          kind: "ticket",
          summary: "s",
          openedAt: "2026-11-18T16:00:00Z",
        },
        client: { externalId: "250", name: "Acme" },
        touches: [],
      },
    });
    expect(event.status).toBe(400);
    expect((await problemOf(event)).errors?.[0]?.path).toBe("occurredAt");
    const metrics = await t.request("/v1/metrics/csat?from=0000-01-01", { key: admin });
    expect(metrics.status).toBe(400);
  });

  it("a dashboard form that is not a form at all is a page, not a server error", async () => {
    const response = await t.app.request("/dashboard/sign-in", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=----x" },
      body: "false",
    });
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("an unknown API path is still problem+json", async () => {
    const response = await t.app.request("/v1/nothing-here");
    expect((await problemOf(response)).status).toBe(404);
  });
});
