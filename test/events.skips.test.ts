import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts, events, invitations } from "../src/db/schema/index.ts";
import type { CanonicalEventInput } from "../src/intake/event.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { canonicalEvent } from "./support/factories.ts";

let t: TestApp;
let key: string;
let admin: string;
beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("events:write");
  admin = await t.key("admin");
  // No default survey for projects in this file: project.completed starts with no survey.
  const moved = await putSurvey("project-nps", {
    scale: "nps",
    trigger: "manual",
    questions: { en: "Would you recommend us?" },
  });
  expect(moved.status).toBe(200);
});
afterAll(() => t.close());

function putSurvey(surveyKey: string, json: Record<string, unknown>) {
  return t.request(`/v1/surveys/${surveyKey}`, { method: "PUT", key: admin, json });
}

async function decisionFor(event: CanonicalEventInput) {
  const response = await t.request("/v1/events", { key, json: event });
  expect(response.status).toBe(202);
  const body = await response.json();
  // The event's row keeps what it answered, word for word: a repeat of it answers the same.
  const [stored] = await t.ctx.db
    .select({ outcome: events.outcome })
    .from(events)
    .where(eq(events.externalId, event.id));
  expect(stored!.outcome).toEqual({
    touchesRecorded: body.touchesRecorded,
    invitation: body.invitation,
  });
  return body.invitation;
}

const ticketCsat = {
  scale: "csat3",
  trigger: "ticket.closed",
  questions: { en: "How did we do?" },
  throttleDays: 7,
};

function projectEvent(board: string, team = "projects"): CanonicalEventInput {
  const base = canonicalEvent();
  return {
    ...base,
    type: "project.completed",
    workItem: { externalId: `P-${base.id}`, kind: "project", summary: "Office move", board },
    touches: [
      {
        member: { externalId: `pm-${base.id}`, name: "Project Manager" },
        team,
        at: "2026-11-18T12:00:00Z",
        role: "owner",
      },
    ],
  };
}

describe("an event that schedules no invitation says why", () => {
  it("no survey for the trigger: no_survey, and the reason is kept on the event", async () => {
    const event = projectEvent("Projects");
    expect(await decisionFor(event)).toEqual({
      status: "skipped",
      reason: "no_survey",
      surveyKey: null,
    });
    const [stored] = await t.ctx.db.select().from(events).where(eq(events.externalId, event.id));
    expect(stored!.outcome).toMatchObject({ invitation: { reason: "no_survey" } });
  });

  it("a survey whose board and team filters exclude the item: not_applicable", async () => {
    expect(
      (
        await putSurvey("onsite-nps", {
          scale: "nps",
          trigger: "project.completed",
          questions: { en: "Would you recommend us?" },
          boards: ["Onsite Projects"],
        })
      ).status,
    ).toBe(201);
    expect(await decisionFor(projectEvent("Remote Projects"))).toMatchObject({
      status: "skipped",
      reason: "not_applicable",
    });
    expect(await decisionFor(projectEvent("onsite projects"))).toMatchObject({
      status: "scheduled",
      surveyKey: "onsite-nps",
    });
  });

  it("a team filter picks the more specific survey", async () => {
    await putSurvey("alignment-nps", {
      scale: "nps",
      trigger: "project.completed",
      questions: { en: "Would you recommend us?" },
      boards: ["Onsite Projects"],
      teams: ["technical-alignment"],
    });
    expect(await decisionFor(projectEvent("Onsite Projects", "technical-alignment"))).toMatchObject(
      { status: "scheduled", surveyKey: "alignment-nps" },
    );
  });

  it("an inactive survey: survey_inactive", async () => {
    await putSurvey("ticket-csat", { ...ticketCsat, active: false });
    try {
      expect(await decisionFor(canonicalEvent())).toEqual({
        status: "skipped",
        reason: "survey_inactive",
        surveyKey: "ticket-csat",
      });
    } finally {
      await putSurvey("ticket-csat", ticketCsat);
    }
  });

  it("no contact on the event: no_contact", async () => {
    expect(await decisionFor(canonicalEvent({ contact: null }))).toMatchObject({
      reason: "no_contact",
    });
  });

  it("a contact without email: no_email", async () => {
    const event = canonicalEvent();
    expect(
      await decisionFor({ ...event, contact: { ...event.contact!, email: null } }),
    ).toMatchObject({ status: "skipped", reason: "no_email", surveyKey: "ticket-csat" });
  });

  it("a client excluded from surveys: client_excluded", async () => {
    const event = canonicalEvent();
    const put = await t.request(`/v1/clients/${event.client.externalId}`, {
      method: "PUT",
      key: admin,
      json: { name: event.client.name, excludeFromSurveys: true },
    });
    expect(put.status).toBe(201);
    expect(await decisionFor(event)).toMatchObject({ reason: "client_excluded" });
  });

  it("a contact who opted out: opted_out", async () => {
    const event = canonicalEvent();
    await t.request(`/v1/clients/${event.client.externalId}`, {
      method: "PUT",
      key: admin,
      json: { name: event.client.name },
    });
    const put = await t.request(`/v1/contacts/${event.contact!.externalId}`, {
      method: "PUT",
      key: admin,
      json: { clientExternalId: event.client.externalId, optedOut: true },
    });
    expect(put.status).toBe(201);
    expect(await decisionFor(event)).toMatchObject({ reason: "opted_out" });
  });

  it("a bounced or complaining address: bounced, until the contact has a new address", async () => {
    for (const field of ["bouncedAt", "complainedAt"] as const) {
      const event = canonicalEvent();
      await decisionFor({ ...event, id: `${event.id}-first-seen`, type: "ticket.updated" });
      await t.ctx.db
        .update(contacts)
        .set({ [field]: t.clock.now() })
        .where(eq(contacts.externalId, event.contact!.externalId));
      expect(await decisionFor(event)).toMatchObject({ reason: "bounced" });

      const fixed = canonicalEvent({
        client: event.client,
        contact: { ...event.contact!, email: `new-${event.contact!.email}` },
      });
      expect(await decisionFor(fixed)).toMatchObject({ status: "scheduled" });
    }
  });
});

describe("the throttle", () => {
  it("skips a contact surveyed on the same scale within throttleDays, and not after", async () => {
    const first = canonicalEvent();
    expect(await decisionFor(first)).toMatchObject({ status: "scheduled" });
    const sameContact = () => canonicalEvent({ client: first.client, contact: first.contact });
    expect(await decisionFor(sameContact())).toMatchObject({
      status: "skipped",
      reason: "throttled",
    });
    t.clock.advance(7 * 86_400_000 + 60_000);
    expect(await decisionFor(sameContact())).toMatchObject({ status: "scheduled" });
  });

  it("counts every survey of the same scale, and no survey of another scale", async () => {
    await putSurvey("escalations-csat", {
      ...ticketCsat,
      boards: ["Escalations"],
      throttleDays: 3,
    });
    const first = canonicalEvent();
    expect(await decisionFor(first)).toMatchObject({ surveyKey: "ticket-csat" });
    const escalation = canonicalEvent({ client: first.client, contact: first.contact });
    escalation.workItem.board = "Escalations";
    expect(await decisionFor(escalation)).toMatchObject({
      surveyKey: "escalations-csat",
      reason: "throttled",
    });
    const project = {
      ...projectEvent("Onsite Projects"),
      contact: first.contact,
      client: first.client,
    };
    expect(await decisionFor(project)).toMatchObject({
      status: "scheduled",
      surveyKey: "onsite-nps",
    });
  });

  it("holds when two tickets of one contact close at the same moment", async () => {
    const first = canonicalEvent();
    const second = canonicalEvent({ client: first.client, contact: first.contact });
    const decisions = await Promise.all([decisionFor(first), decisionFor(second)]);
    expect(decisions.map((d) => d.status).sort()).toEqual(["scheduled", "skipped"]);
    expect(decisions.find((d) => d.status === "skipped")?.reason).toBe("throttled");
  });
  it.each(["cancelled", "failed"] as const)(
    "does not count a %s invitation, which never reached the contact",
    async (status) => {
      const first = canonicalEvent();
      const decided = await decisionFor(first);
      expect(decided).toMatchObject({ status: "scheduled" });
      await t.ctx.db.update(invitations).set({ status }).where(eq(invitations.id, decided.id));
      const again = canonicalEvent({ client: first.client, contact: first.contact });
      expect(await decisionFor(again)).toMatchObject({ status: "scheduled" });
    },
  );
});
