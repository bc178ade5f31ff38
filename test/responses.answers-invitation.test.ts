import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invitations, responses } from "../src/db/schema/index.ts";
import { sendDueInvitations, sendDueReminders } from "../src/delivery/jobs.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import {
  createClient,
  createContact,
  createInvitation,
  createSurvey,
  createWorkItem,
} from "./support/factories.ts";
import { emailsOf as emails, historyOf } from "./support/invitation-rows.ts";

/*
 * A score collected elsewhere (a phone call, the PSA's portal) about a work item the survey
 * emailed answers that email's invitation: one answer per invitation, whichever way it came.
 */
const HOUR = 3_600_000;
const PERSON = {
  "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1",
  "accept-language": "en-GB,en;q=0.9",
};
let t: TestApp;
let writer: string;

beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("events:write");
});
afterAll(() => t.close());

async function drain() {
  while ((await sendDueInvitations.runOnce(t.ctx)) > 0) {}
  while ((await sendDueReminders.runOnce(t.ctx)) > 0) {}
}

/** A csat3 survey's invitation about a work item, scheduled now, with a reminder after a day. */
async function surveyed(options: { send: boolean }) {
  const survey = await createSurvey(t.ctx.db, { scale: "csat3", reminderAfterHours: 24 });
  const client = await createClient(t.ctx.db);
  const contact = await createContact(t.ctx.db, { clientId: client.id });
  const item = await createWorkItem(t.ctx.db, { clientId: client.id });
  const { invitation, token } = await createInvitation(t.ctx.db, await appSecret(t.ctx), {
    status: "scheduled",
    sentAt: null,
    surveyId: survey.id,
    clientId: client.id,
    contactId: contact.id,
    workItemId: item.id,
    nextAttemptAt: t.clock.now(),
    expiresAt: new Date(t.clock.now().getTime() + 14 * 24 * HOUR),
  });
  if (options.send) await drain();
  return { survey, client, contact, item, invitation, token };
}

function postScore(
  fixture: Awaited<ReturnType<typeof surveyed>>,
  fields: { score: number; contact?: string; key?: string },
) {
  return t.request("/v1/responses", {
    key: writer,
    json: {
      survey: fixture.survey.key,
      workItem: { externalId: fixture.item.externalId, kind: "ticket" },
      ...(fields.contact ? { contact: { externalId: fields.contact } } : {}),
      score: fields.score,
      respondedAt: t.clock.now().toISOString(),
      idempotencyKey: fields.key ?? `phone-${fixture.invitation.id}`,
    },
  });
}

async function responsesOf(invitationId: string) {
  return t.ctx.db.select().from(responses).where(eq(responses.invitationId, invitationId));
}

const emailsOf = (invitationId: string) => emails(t.ctx.db, invitationId);
const eventsOf = (invitationId: string) => historyOf(t.ctx.db, invitationId);

describe("a score collected elsewhere about a work item the survey emailed", () => {
  it("answers the invitation: no reminder, the response rate counts it, the link shows it", async () => {
    const fixture = await surveyed({ send: true });
    const { invitation, token, contact } = fixture;
    t.clock.advance(HOUR);
    const posted = await postScore(fixture, { score: 2 });
    expect(posted.status).toBe(201);
    const answer = await posted.json();
    expect(answer).toMatchObject({ invitationId: invitation.id, contactId: contact.id, score: 2 });

    t.clock.advance(25 * HOUR);
    await drain();
    expect(await emailsOf(invitation.id)).toHaveLength(1);
    const [row] = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    expect(row!.reminderStatus).toBe("cancelled");
    expect(
      (await eventsOf(invitation.id)).find((e) => e.type === "reminder_cancelled")?.detail,
    ).toEqual({ reason: "answered" });

    const rate = await t.request(
      `/v1/metrics/response-rate?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&client=${fixture.client.externalId}`,
      { key: await t.key("metrics:read") },
    );
    expect(rate.status).toBe(200);
    expect(await rate.json()).toMatchObject({
      overall: { counts: { invitations: 1, responses: 1 }, value: 100 },
    });

    // The person then clicks the email's link: the answer given is final, and stays one.
    const page = await t.request(`/r/${token}/3`, { headers: PERSON });
    expect(page.status).toBe(200);
    const rows = await responsesOf(invitation.id);
    expect(rows.map((r) => [r.id, r.score, r.state, r.source])).toEqual([
      [answer.id, 2, "recorded", "api"],
    ]);
  });

  it("before its email goes out: the email is not sent", async () => {
    const fixture = await surveyed({ send: false });
    expect((await postScore(fixture, { score: 3 })).status).toBe(201);
    await drain();
    expect(await emailsOf(fixture.invitation.id)).toHaveLength(0);
    expect(
      (await eventsOf(fixture.invitation.id)).find((e) => e.type === "cancelled")?.detail,
    ).toEqual({ reason: "answered" });
  });

  it("answered already by the person's click: a 409 naming that response, and nothing written", async () => {
    const fixture = await surveyed({ send: true });
    t.clock.advance(HOUR);
    expect((await t.request(`/r/${fixture.token}/1`, { headers: PERSON })).status).toBe(200);
    const [clicked] = await responsesOf(fixture.invitation.id);
    const posted = await postScore(fixture, { score: 3 });
    expect(posted.status).toBe(409);
    expect((await problemOf(posted)).detail).toContain(clicked!.id);
    const rows = await t.ctx.db
      .select()
      .from(responses)
      .where(eq(responses.idempotencyKey, `phone-${fixture.invitation.id}`));
    expect(rows).toHaveLength(0);
    expect((await responsesOf(fixture.invitation.id)).map((r) => r.score)).toEqual([1]);
  });

  it("a person's click and a score posted at the same moment make one answer", async () => {
    const fixture = await surveyed({ send: true });
    t.clock.advance(HOUR);
    const [page, posted] = await Promise.all([
      t.request(`/r/${fixture.token}/1`, { headers: PERSON }),
      postScore(fixture, { score: 3 }),
    ]);
    expect(page.status).toBe(200);
    expect([201, 409]).toContain(posted.status);
    const rows = await responsesOf(fixture.invitation.id);
    expect(rows.map((r) => [r.state, r.score])).toEqual([
      ["recorded", posted.status === 201 ? 3 : 1],
    ]);
  });

  it("takes the place of a scanner's flagged click", async () => {
    const fixture = await surveyed({ send: true });
    // A gateway's browser-like agent without Accept-Language opens a link: flagged.
    const scanned = await t.request(`/r/${fixture.token}/1`, {
      headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0" },
    });
    expect(scanned.status).toBe(200);
    const [flagged] = await responsesOf(fixture.invitation.id);
    expect(flagged?.state).toBe("flagged");
    t.clock.advance(HOUR);
    const posted = await postScore(fixture, { score: 3 });
    expect(posted.status).toBe(201);
    const rows = await responsesOf(fixture.invitation.id);
    expect(rows.map((r) => [r.id, r.score, r.state, r.source])).toEqual([
      [flagged!.id, 3, "recorded", "api"],
    ]);
    expect((await posted.json()).id).toBe(flagged!.id);
  });

  it("another contact's score about the same work item stays a response of its own", async () => {
    const fixture = await surveyed({ send: true });
    const colleague = await createContact(t.ctx.db, { clientId: fixture.client.id });
    const posted = await postScore(fixture, { score: 3, contact: colleague.externalId });
    expect(posted.status).toBe(201);
    expect(await posted.json()).toMatchObject({ invitationId: null, contactId: colleague.id });
    expect(await responsesOf(fixture.invitation.id)).toHaveLength(0);
  });
});
