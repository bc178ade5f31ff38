import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../src/db/client.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { canonicalEvent } from "./support/factories.ts";

let t: TestApp;
let key: string;
beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("events:write");
});
afterAll(() => t.close());

type RowCount =
  | "events"
  | "clients"
  | "contacts"
  | "members"
  | "teams"
  | "work_items"
  | "touches"
  | "invitations"
  | "invitation_events";

/** Rows of every table one event writes to. */
async function rowCounts() {
  const [row] = await queryRows<Record<RowCount, number>>(
    t.ctx.db,
    sql`select
      (select count(*)::int from events) as events,
      (select count(*)::int from clients) as clients,
      (select count(*)::int from contacts) as contacts,
      (select count(*)::int from members) as members,
      (select count(*)::int from teams) as teams,
      (select count(*)::int from work_items) as work_items,
      (select count(*)::int from touches) as touches,
      (select count(*)::int from invitations) as invitations,
      (select count(*)::int from invitation_events) as invitation_events`,
  );
  return row!;
}

describe("bad events are refused whole", () => {
  it("names every invalid field by its path and records nothing", async () => {
    const before = await rowCounts();
    const event = canonicalEvent();
    const bad = {
      ...event,
      occurredAt: "yesterday",
      touches: [
        { ...event.touches![0]!, member: { name: "No Id" } },
        { ...event.touches![1]!, team: "Help Desk" },
      ],
      contact: { ...event.contact!, email: "not-an-email" },
    };
    const response = await t.request("/v1/events", { key, json: bad });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.title).toBe("Validation failed");
    const paths = problem.errors!.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "occurredAt",
        "touches.0.member.externalId",
        "touches.1.team",
        "contact.email",
      ]),
    );
    expect(problem.errors!.every((e) => e.in === "body")).toBe(true);
    expect(await rowCounts()).toEqual(before);
  });

  it("a ticket event about a project is refused at workItem.kind", async () => {
    const event = canonicalEvent();
    const response = await t.request("/v1/events", {
      key,
      json: { ...event, workItem: { ...event.workItem, kind: "project" } },
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("workItem.kind");
  });

  it("an unknown type and missing required fields are 400s", async () => {
    const response = await t.request("/v1/events", {
      key,
      json: { id: "x", type: "ticket.deleted", occurredAt: "2026-11-18T16:42:10Z" },
    });
    expect(response.status).toBe(400);
    const paths = (await problemOf(response)).errors!.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["type", "workItem", "client"]));
  });

  it("malformed JSON is a 400 problem", async () => {
    const response = await t.request("/v1/events", {
      key,
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).title).toBe("Malformed JSON");
  });

  it("needs a key with events:write", async () => {
    const event = canonicalEvent();
    expect((await t.request("/v1/events", { json: event })).status).toBe(401);
    const reader = await t.key("responses:read");
    const response = await t.request("/v1/events", { key: reader, json: event });
    expect(response.status).toBe(403);
    expect((await problemOf(response)).detail).toContain("events:write");
  });
});

describe("one event is one transaction", () => {
  it("a failure at the last write leaves nothing, and the same event succeeds once fixed", async () => {
    const before = await rowCounts();
    // A constraint that only fails for new invitations: the very last rows the event writes.
    await t.ctx.db.execute(
      sql.raw(
        "alter table invitations add constraint forced_failure check (campaign_id is not null) not valid",
      ),
    );
    const event = canonicalEvent();
    try {
      const response = await t.request("/v1/events", { key, json: event });
      expect(response.status).toBe(500);
      expect(await rowCounts()).toEqual(before);
    } finally {
      await t.ctx.db.execute(sql.raw("alter table invitations drop constraint forced_failure"));
    }

    const retried = await t.request("/v1/events", { key, json: event });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({
      duplicate: false,
      touchesRecorded: 3,
      invitation: { status: "scheduled" },
    });
    const after = await rowCounts();
    expect(after.events).toBe(before.events + 1);
    expect(after.work_items).toBe(before.work_items + 1);
    expect(after.touches).toBe(before.touches + 3);
    expect(after.invitations).toBe(before.invitations + 1);
  });
});
