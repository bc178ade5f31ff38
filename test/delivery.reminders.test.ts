import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invitationEvents, invitations, responses } from "../src/db/schema/index.ts";
import { sendDueInvitations, sendDueReminders } from "../src/delivery/jobs.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createInvitation, createResponse, createSurvey } from "./support/factories.ts";
import { emailsOf as emails } from "./support/invitation-rows.ts";

const HOUR = 3_600_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function drain() {
  while ((await sendDueInvitations.runOnce(t.ctx)) > 0) {}
  while ((await sendDueReminders.runOnce(t.ctx)) > 0) {}
}

async function sentWithReminder(reminderAfterHours: number | null, expiresInDays = 14) {
  const survey = await createSurvey(t.ctx.db, { reminderAfterHours });
  const { invitation, token } = await createInvitation(t.ctx.db, await appSecret(t.ctx), {
    status: "scheduled",
    sentAt: null,
    surveyId: survey.id,
    nextAttemptAt: t.clock.now(),
    expiresAt: new Date(t.clock.now().getTime() + expiresInDays * 24 * HOUR),
  });
  await drain();
  return { invitation, token, survey };
}

async function rowOf(id: string) {
  const [row] = await t.ctx.db.select().from(invitations).where(eq(invitations.id, id));
  return row!;
}

const emailsOf = (id: string) => emails(t.ctx.db, id);

describe("reminders", () => {
  it("one reminder goes out after the survey's delay, with the same links", async () => {
    const { invitation, token } = await sentWithReminder(48);
    const sent = await rowOf(invitation.id);
    expect(sent.reminderStatus).toBe("scheduled");
    expect(sent.reminderDueAt!.getTime() - sent.sentAt!.getTime()).toBe(48 * HOUR);

    t.clock.advance(47 * HOUR);
    await drain();
    expect(await emailsOf(invitation.id)).toHaveLength(1);

    t.clock.advance(HOUR);
    await drain();
    t.clock.advance(72 * HOUR);
    await drain();
    const emails = await emailsOf(invitation.id);
    expect(emails.map((email) => email.idempotencyKey)).toEqual([
      `invitation/${invitation.id}`,
      `reminder/${invitation.id}`,
    ]);
    expect(emails[1]!.text).toContain(`http://rapport.test/r/${token}/`);
    expect(emails[1]!.subject).not.toBe(emails[0]!.subject);
    const reminded = await rowOf(invitation.id);
    expect(reminded.reminderStatus).toBe("sent");
    expect(reminded.reminderAttempts).toBe(1);
    expect(reminded.reminderProviderMessageId).toBe(emails[1]!.id);
  });

  it("no reminder once the contact has answered", async () => {
    const { invitation, survey } = await sentWithReminder(24);
    await createResponse(t.ctx.db, {
      invitationId: invitation.id,
      surveyId: survey.id,
      clientId: invitation.clientId,
      scale: "csat3",
      score: 3,
    });
    t.clock.advance(25 * HOUR);
    await drain();
    expect(await emailsOf(invitation.id)).toHaveLength(1);
    expect((await rowOf(invitation.id)).reminderStatus).toBe("cancelled");
    const events = await t.ctx.db
      .select()
      .from(invitationEvents)
      .where(eq(invitationEvents.invitationId, invitation.id));
    expect(events.find((event) => event.type === "reminder_cancelled")?.detail).toEqual({
      reason: "answered",
    });
  });

  it("a scanner's click is not an answer: the reminder still goes out", async () => {
    const { invitation, token } = await sentWithReminder(24);
    // A mail gateway opens a link: a browser-like agent without Accept-Language is flagged.
    t.clock.advance(HOUR);
    const scanned = await t.request(`/r/${token}/1`, {
      headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0" },
    });
    expect(scanned.status).toBe(200);
    const [response] = await t.ctx.db
      .select()
      .from(responses)
      .where(eq(responses.invitationId, invitation.id));
    expect(response?.state).toBe("flagged");

    t.clock.advance(24 * HOUR);
    await drain();
    expect((await rowOf(invitation.id)).reminderStatus).toBe("sent");
    expect((await emailsOf(invitation.id)).map((email) => email.idempotencyKey)).toEqual([
      `invitation/${invitation.id}`,
      `reminder/${invitation.id}`,
    ]);
  });

  it("no reminder after the invitation expired", async () => {
    const { invitation } = await sentWithReminder(72, 2);
    t.clock.advance(73 * HOUR);
    await drain();
    expect(await emailsOf(invitation.id)).toHaveLength(1);
    expect((await rowOf(invitation.id)).reminderStatus).toBe("cancelled");
  });

  it("a survey without a reminder schedules none", async () => {
    const { invitation } = await sentWithReminder(null);
    expect((await rowOf(invitation.id)).reminderStatus).toBe("none");
  });
});
