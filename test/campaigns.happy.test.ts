import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invitationEvents, invitations, surveys } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { createClient, createContact } from "./support/factories.ts";

let t: TestApp;
let writer: string;
const ids = { a: "", b: "", c: "" };
const people = { happy: "", optedOut: "" };

beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("surveys:write");
  const created = await t.request("/v1/surveys", {
    key: writer,
    json: {
      key: "quarterly-nps",
      scale: "nps",
      trigger: "manual",
      questions: { en: "How likely are you to recommend us?" },
      throttleDays: 30,
    },
  });
  expect(created.status).toBe(201);

  const db = t.ctx.db;
  const a = await createClient(db);
  const b = await createClient(db, { excludeFromSurveys: true });
  const c = await createClient(db);
  Object.assign(ids, { a: a.externalId, b: b.externalId, c: c.externalId });
  people.happy = (await createContact(db, { clientId: a.id })).id;
  people.optedOut = (await createContact(db, { clientId: a.id, optedOutAt: t.clock.now() })).id;
  await createContact(db, { clientId: b.id });
  await createContact(db, { clientId: c.id, email: null });
  await createContact(db, { clientId: c.id, bouncedAt: t.clock.now() });
  await createContact(db, { clientId: c.id, email: null, name: null, erasedAt: t.clock.now() });
});
afterAll(() => t.close());

function runCampaign(surveyKey: string, json: Record<string, unknown>) {
  return t.request(`/v1/surveys/${surveyKey}/campaigns`, { key: writer, json });
}

describe("campaigns", () => {
  it("schedule a manual survey to every eligible contact of the selected clients", async () => {
    const response = await runCampaign("quarterly-nps", {
      clientExternalIds: [ids.a, ids.b, ids.c, "no-such-client"],
      campaignId: "2026-q4",
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      campaignId: "2026-q4",
      surveyKey: "quarterly-nps",
      contactsConsidered: 5,
      scheduled: 1,
      skipped: { opted_out: 1, client_excluded: 1, no_email: 1, bounced: 1 },
      unknownClientExternalIds: ["no-such-client"],
    });
    const rows = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.campaignId, "2026-q4"));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      contactId: people.happy,
      workItemId: null,
      status: "scheduled",
    });
    const history = await t.ctx.db
      .select()
      .from(invitationEvents)
      .where(eq(invitationEvents.invitationId, rows[0]!.id));
    expect(history.map((h) => h.type)).toEqual(["scheduled"]);
  });

  it("repeating a campaign id reaches nobody twice", async () => {
    const response = await runCampaign("quarterly-nps", {
      clientExternalIds: [ids.a],
      campaignId: "2026-q4",
    });
    expect(await response.json()).toMatchObject({
      scheduled: 0,
      skipped: { already_surveyed: 1, opted_out: 1 },
    });
  });

  it("a new campaign over all clients respects the throttle", async () => {
    const response = await runCampaign("quarterly-nps", {});
    const body = await response.json();
    expect(body.campaignId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toMatchObject({
      contactsConsidered: 5,
      scheduled: 0,
      skipped: { throttled: 1, opted_out: 1, client_excluded: 1, no_email: 1, bounced: 1 },
    });
  });

  it("contacts of a client that has ended are left out and counted as client_ended", async () => {
    const db = t.ctx.db;
    const ended = await createClient(db, { endedAt: new Date("2026-10-01T00:00:00Z") });
    const leaving = await createClient(db, { endedAt: new Date("2026-12-31T00:00:00Z") });
    await createContact(db, { clientId: ended.id });
    await createContact(db, { clientId: ended.id });
    const stays = await createContact(db, { clientId: leaving.id });
    const response = await runCampaign("quarterly-nps", {
      clientExternalIds: [ended.externalId, leaving.externalId],
      campaignId: "2026-q4-ended",
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      contactsConsidered: 3,
      scheduled: 1,
      skipped: { client_ended: 2 },
    });
    const rows = await db
      .select()
      .from(invitations)
      .where(eq(invitations.campaignId, "2026-q4-ended"));
    expect(rows.map((row) => row.contactId)).toEqual([stays.id]);
  });

  it("only manual, active surveys run as campaigns", async () => {
    const triggered = await runCampaign("ticket-csat", {});
    expect(triggered.status).toBe(409);
    expect((await problemOf(triggered)).detail).toContain("manual");
    expect((await runCampaign("missing-survey", {})).status).toBe(404);
    await t.ctx.db.update(surveys).set({ active: false }).where(eq(surveys.key, "quarterly-nps"));
    expect((await runCampaign("quarterly-nps", {})).status).toBe(409);
    await t.ctx.db.update(surveys).set({ active: true }).where(eq(surveys.key, "quarterly-nps"));
  });

  it("bad bodies name the field, and the scope is surveys:write", async () => {
    const bad = await runCampaign("quarterly-nps", { clientExternalIds: [] });
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).errors?.[0]?.path).toBe("clientExternalIds");
    // Dropped, a misspelt client list would make a campaign over every client.
    const misspelt = await runCampaign("quarterly-nps", { clientExternalId: [ids.a] });
    expect(misspelt.status).toBe(400);
    expect((await problemOf(misspelt)).errors?.[0]?.path).toBe("clientExternalId");
    const reader = await t.key("responses:read");
    const forbidden = await t.request("/v1/surveys/quarterly-nps/campaigns", {
      key: reader,
      json: {},
    });
    expect(forbidden.status).toBe(403);
  });
});
