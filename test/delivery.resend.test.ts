import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { contacts, invitationEvents, invitations, surveys } from "../src/db/schema/index.ts";
import { claimBatch } from "../src/delivery/claim.ts";
import { composeEmails } from "../src/delivery/compose.ts";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { lanes } from "../src/delivery/lanes.ts";
import { applyResendEvent } from "../src/delivery/resend-events.ts";
import { transportFor } from "../src/delivery/transport.ts";
import { eraseContact } from "../src/directory/contacts.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createContact,
  createInvitation,
  createMember,
  createSurvey,
  createTeam,
  createTouch,
} from "./support/factories.ts";
import { FakeResend } from "./support/fake-resend.ts";

let t: TestApp;
let fake: FakeResend;
const HOUR = 3_600_000;

beforeAll(async () => {
  fake = await new FakeResend().start();
  t = await createTestApp({
    RESEND_API_KEY: "re_test_key",
    RESEND_BASE_URL: fake.url,
    RESEND_REQUESTS_PER_SECOND: "200",
    RESEND_TIMEOUT_MS: "400",
  });
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});
beforeEach(async () => {
  // Each test starts with nothing due.
  await t.ctx.db
    .update(invitations)
    .set({ status: "cancelled" })
    .where(eq(invitations.status, "scheduled"));
});

async function due(count: number) {
  const secret = await appSecret(t.ctx);
  const survey = await createSurvey(t.ctx.db);
  const rows = [];
  for (let i = 0; i < count; i++) {
    rows.push(
      (
        await createInvitation(t.ctx.db, secret, {
          status: "scheduled",
          sentAt: null,
          surveyId: survey.id,
          nextAttemptAt: t.clock.now(),
        })
      ).invitation,
    );
  }
  return rows;
}

/** A due invitation to a contact of its own, made with `contact`'s fields. */
async function dueTo(contact: Parameters<typeof createContact>[1]) {
  const person = await createContact(t.ctx.db, contact);
  const { invitation } = await createInvitation(t.ctx.db, await appSecret(t.ctx), {
    status: "scheduled",
    contactId: person.id,
    clientId: person.clientId,
  });
  return invitation;
}

/** Runs the job until nothing is due, moving the clock past every retry. */
async function sendEverything() {
  for (let round = 0; round < 20; round++) {
    while ((await sendDueInvitations.runOnce(t.ctx)) > 0) {}
    const pending = await t.ctx.db
      .select({ id: invitations.id })
      .from(invitations)
      .where(eq(invitations.status, "sending"));
    if (pending.length === 0) return;
    t.clock.advance(2 * HOUR);
  }
}

async function stateOf(id: string) {
  const [row] = await t.ctx.db.select().from(invitations).where(eq(invitations.id, id));
  const events = await t.ctx.db
    .select()
    .from(invitationEvents)
    .where(eq(invitationEvents.invitationId, id))
    .orderBy(asc(invitationEvents.at), asc(invitationEvents.type));
  return { row: row!, types: events.map((event) => event.type), events };
}

describe("sending survey emails through Resend", () => {
  it("a due invitation is sent once, with its provider id, token links and unsubscribe headers", async () => {
    const [invitation] = await due(1);
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(1);
    const { row, types } = await stateOf(invitation!.id);
    expect(row.status).toBe("sent");
    expect(row.attempts).toBe(1);
    expect(row.sentAt?.toISOString()).toBe(t.clock.now().toISOString());
    const email = fake.sent.find((sent) => sent.invitationId === invitation!.id)!;
    expect(row.providerMessageId).toBe(email.id);
    expect(email.idempotencyKey).toBe(`invitation/${invitation!.id}`);
    expect(email.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(email.text).toContain("http://rapport.test/r/");
    expect(types).toEqual(["send_attempt", "sent"]);
  });

  it("a batch of many is one request with one key, and every email is sent exactly once", async () => {
    const rows = await due(150);
    const before = fake.requests.length;
    await sendEverything();
    const requests = fake.requests.slice(before);
    expect(requests.map((request) => request.size).sort()).toEqual([100, 50]);
    expect(requests[0]!.idempotencyKey).toMatch(/^invitations\//);
    for (const row of rows) expect(fake.count(row.id)).toBe(1);
  });

  it.each([
    ["a 429 with Retry-After", "rate-limit"],
    ["a 500", "server-error"],
    ["a 502 with an HTML body", "bad-gateway-html"],
    ["a request that hangs after sending", "hang"],
    ["a connection closed after sending", "close"],
  ] as const)(
    "after %s, the retry sends every email exactly once and records the attempts",
    async (_, behaviour) => {
      const rows = await due(3);
      fake.script(behaviour, behaviour);
      expect(await sendDueInvitations.runOnce(t.ctx)).toBe(3);
      const first = await stateOf(rows[0]!.id);
      expect(first.row.status).toBe("sending");
      expect(first.row.lastError).toBeTruthy();
      expect(first.row.nextAttemptAt.getTime()).toBeGreaterThan(t.clock.now().getTime());
      // Nothing is retried before its time: no hot loop.
      expect(await sendDueInvitations.runOnce(t.ctx)).toBe(0);

      await sendEverything();
      for (const row of rows) {
        expect(fake.count(row.id)).toBe(1);
        const { row: after, types } = await stateOf(row.id);
        expect(after.status).toBe("sent");
        expect(after.lastError).toBeNull();
        expect(types.filter((type) => type === "send_attempt")).toHaveLength(3);
        expect(types.filter((type) => type === "send_retry")).toHaveLength(2);
        expect(types.at(-1)).toBe("sent");
        if (behaviour === "rate-limit") expect(after.attempts).toBe(1);
        else expect(after.attempts).toBe(3);
      }
    },
  );

  it("a 429 waits for Retry-After before the batch is tried again", async () => {
    const [row] = await due(1);
    fake.script("rate-limit");
    await sendDueInvitations.runOnce(t.ctx);
    const { row: after } = await stateOf(row!.id);
    expect(after.nextAttemptAt.getTime() - t.clock.now().getTime()).toBe(1000);
  });

  it("a validation error fails the batch for good, with the provider's reason", async () => {
    const rows = await due(2);
    fake.script("validation-error");
    await sendEverything();
    for (const row of rows) {
      const { row: after, types } = await stateOf(row.id);
      expect(after.status).toBe("failed");
      expect(after.lastError).toContain("validation_error");
      expect(types).toEqual(["send_attempt", "send_failed"]);
      expect(fake.count(row.id)).toBe(0);
    }
  });

  it("one address the provider refuses fails only its own invitation", async () => {
    const bad = await dueTo({ email: "someone+refused@client.example" });
    const good = await due(2);
    await sendEverything();
    expect((await stateOf(bad.id)).row.status).toBe("failed");
    for (const row of good) expect((await stateOf(row.id)).row.status).toBe("sent");
  });

  it("an address that is not one is cancelled before any batch, never sent nor counted sent", async () => {
    const bad = await dueTo({ email: "not-an-address" });
    const good = await due(2);
    // The batch's answer is lost, and a member opts out before the retry: the retry's body
    // differs, and the provider's 409 counts the batch as sent by its first attempt.
    fake.script("hang");
    await sendDueInvitations.runOnce(t.ctx);
    await t.ctx.db
      .update(contacts)
      .set({ optedOutAt: t.clock.now() })
      .where(eq(contacts.id, good[1]!.contactId));
    await sendEverything();
    const { row, events } = await stateOf(bad.id);
    expect(row.status).toBe("cancelled");
    expect(events.find((event) => event.type === "cancelled")?.detail).toEqual({
      reason: "invalid_email",
    });
    expect(fake.count(bad.id)).toBe(0);
    expect((await stateOf(good[0]!.id)).row.status).toBe("sent");
  });

  it.each([
    ["a domain without a dot", "priya@localhost"],
    ["a space in the domain", "priya@acme corp.example"],
    ["two at signs", "priya@acme@client.example"],
  ])("an address with %s is cancelled as invalid_email", async (_, email) => {
    const bad = await dueTo({ email });
    await sendEverything();
    const { row, events } = await stateOf(bad.id);
    expect(row.status).toBe("cancelled");
    expect(events.find((event) => event.type === "cancelled")?.detail).toEqual({
      reason: "invalid_email",
    });
    expect(fake.count(bad.id)).toBe(0);
  });

  it("a worker that stopped after sending but before recording does not cause a second email", async () => {
    const rows = await due(4);
    // A worker claims and sends, then stops before it can record anything.
    const batch = await claimBatch({ ctx: t.ctx, input: { lane: lanes.survey, limit: 100 } });
    const emails = await composeEmails({
      ctx: t.ctx,
      input: { kind: "survey", invitationIds: batch!.members.map((member) => member.id) },
    });
    const crashed = await transportFor(t.config).send(t.ctx, batch!.batchKey, emails);
    expect(crashed.kind).toBe("accepted");
    // Within the lease nobody touches the batch; after it, another worker re-sends it as is.
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(0);
    t.clock.advance(6 * 60_000);
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(4);
    for (const row of rows) {
      expect(fake.count(row.id)).toBe(1);
      const { row: after } = await stateOf(row.id);
      expect(after.status).toBe("sent");
      expect(after.attempts).toBe(2);
      expect(after.providerMessageId).toBe(
        fake.sent.find((email) => email.invitationId === row.id)!.id,
      );
    }
  });

  it("gives up after the last attempt and records the failure", async () => {
    const [row] = await due(1);
    fake.script(...Array(8).fill("server-error"));
    await sendEverything();
    const { row: after, types } = await stateOf(row!.id);
    expect(after.status).toBe("failed");
    expect(after.attempts).toBe(8);
    expect(after.lastError).toContain("gave up after 8 attempts");
    expect(types.filter((type) => type === "send_retry")).toHaveLength(7);
    expect(types.at(-1)).toBe("send_failed");
  });

  it("skips invitations of contacts who opted out or bounced, expired ones, and paused surveys and clients", async () => {
    const secret = await appSecret(t.ctx);
    const a = await dueTo({ optedOutAt: new Date("2026-11-01") });
    const b = await dueTo({ bouncedAt: new Date("2026-11-01") });
    const { invitation: c } = await createInvitation(t.ctx.db, secret, {
      status: "scheduled",
      expiresAt: new Date(t.clock.now().getTime() - 1000),
    });
    // Paused after scheduling: the survey made inactive, the client excluded.
    const paused = await createSurvey(t.ctx.db, { active: false });
    const { invitation: d } = await createInvitation(t.ctx.db, secret, {
      status: "scheduled",
      surveyId: paused.id,
    });
    const excluded = await createClient(t.ctx.db, { excludeFromSurveys: true });
    const e = await dueTo({ clientId: excluded.id });
    await sendEverything();
    for (const [invitation, reason] of [
      [a, "opted_out"],
      [b, "bounced"],
      [c, "expired"],
      [d, "survey_inactive"],
      [e, "client_excluded"],
    ] as const) {
      const { row, events } = await stateOf(invitation.id);
      expect(row.status).toBe("cancelled");
      expect(events.find((event) => event.type === "cancelled")?.detail).toEqual({ reason });
      expect(fake.count(invitation.id)).toBe(0);
    }
    const cancelled = await t.ctx.db
      .select()
      .from(invitations)
      .where(and(eq(invitations.id, a.id), eq(invitations.attempts, 0)));
    expect(cancelled).toHaveLength(1);
  });
});

describe("who the survey email says worked on the ticket", () => {
  /** A due invitation whose ticket was touched by members with these (name, externalId). */
  async function touchedBy(people: { name: string; externalId: string }[]) {
    const [invitation] = await due(1);
    const team = await createTeam(t.ctx.db);
    for (const person of people) {
      const member = await createMember(t.ctx.db, { ...person, teamId: team.id });
      await createTouch(t.ctx.db, {
        workItemId: invitation!.workItemId!,
        memberId: member.id,
        teamId: team.id,
      });
    }
    await sendEverything();
    return fake.sent.find((email) => email.invitationId === invitation!.id)!.text;
  }

  it("a member the PSA never named is not presented by their login or id", async () => {
    // A member no event named carries their PSA login or id as their name.
    const text = await touchedBy([
      { name: "jlopez", externalId: "jlopez" },
      { name: "Anna Berg", externalId: "29" },
      { name: "17", externalId: "17" },
    ]);
    expect(text).toContain("Anna Berg recently worked on your ticket");
    expect(text).not.toMatch(/\bjlopez\b|\b17\b/);
  });

  it("when nobody who worked on it was named, the email speaks of the team", async () => {
    const text = await touchedBy([{ name: "mkoch", externalId: "mkoch" }]);
    expect(text).toContain("Our team recently worked on your ticket");
    expect(text).not.toMatch(/\bmkoch\b/);
  });
});

/** Resend's event about a survey email, found by the tags it was sent with. */
function reportByTags(
  type: string,
  email: { id: string; to: string },
  invitationId: string,
  extra: Record<string, unknown> = {},
) {
  return applyResendEvent({
    ctx: t.ctx,
    input: {
      deliveryId: `msg_${email.id}`,
      event: {
        type,
        created_at: t.clock.now().toISOString(),
        data: {
          email_id: email.id,
          to: [email.to],
          ...extra,
          tags: [
            { name: "invitation_id", value: invitationId },
            { name: "email_kind", value: "survey" },
          ],
        },
      },
    },
  });
}

describe("a batch waiting for its retry", () => {
  it("counts as sent when its emails changed after the lost answer of a request that went through", async () => {
    const rows = await due(2);
    // Resend sends the batch, but its answer never arrives: the outcome is unknown.
    fake.script("hang");
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(2);
    expect(fake.count(rows[0]!.id)).toBe(1);
    expect((await stateOf(rows[0]!.id)).row.status).toBe("sending");

    // A late time entry on the first ticket: the retry's email names another technician.
    const team = await createTeam(t.ctx.db);
    const member = await createMember(t.ctx.db, { teamId: team.id });
    await createTouch(t.ctx.db, {
      workItemId: rows[0]!.workItemId!,
      memberId: member.id,
      teamId: team.id,
      role: "time-entry",
    });

    // The first email's delivery is reported meanwhile: its id is learned from the event.
    const first = fake.sent.find((sent) => sent.invitationId === rows[0]!.id)!;
    const delivered = await applyResendEvent({
      ctx: t.ctx,
      input: {
        deliveryId: `msg_${first.id}`,
        event: {
          type: "email.delivered",
          data: { email_id: first.id, tags: { invitation_id: rows[0]!.id, email_kind: "survey" } },
        },
      },
    });
    expect(delivered).toBe("recorded");

    await sendEverything();
    // The retry's answer names no ids (the emails changed): the one learned is kept.
    expect((await stateOf(rows[0]!.id)).row.providerMessageId).toBe(first.id);
    expect((await stateOf(rows[1]!.id)).row.providerMessageId).toBeNull();
    for (const row of rows) {
      expect(fake.count(row.id)).toBe(1);
      const { row: after, events } = await stateOf(row.id);
      expect(after).toMatchObject({ status: "sent", lastError: null });
      expect(after.sentAt).not.toBeNull();
      expect(events.find((event) => event.type === "sent")?.detail).toMatchObject({
        providerMessageId: null,
        note: "accepted by an earlier attempt under this key",
      });
    }
  });

  it("a bounce reported while it waits suppresses the contact, and keeps the email's id", async () => {
    const [row] = await due(1);
    fake.script("hang");
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(1);
    expect((await stateOf(row!.id)).row.status).toBe("sending");
    const email = fake.sent.find((sent) => sent.invitationId === row!.id)!;
    // Resend reports the bounce before the batch's retry: the email is found by its tags.
    const outcome = await reportByTags("email.bounced", email, row!.id, {
      bounce: { type: "Permanent" },
    });
    expect(outcome).toBe("recorded");
    const [contact] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, row!.contactId));
    expect(contact!.bouncedAt).not.toBeNull();
    // The retry leaves the bounced contact out, as any contact suppressed meanwhile: nothing is
    // sent again, no reminder follows, and the id learned from the event stays.
    await sendEverything();
    expect(fake.count(row!.id)).toBe(1);
    expect((await stateOf(row!.id)).row).toMatchObject({
      status: "cancelled",
      providerMessageId: email.id,
      reminderStatus: "none",
    });
  });

  it("a complaint about its email after the retry cancelled it still suppresses the contact", async () => {
    const [row] = await due(1);
    fake.script("hang");
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(1);
    const email = fake.sent.find((sent) => sent.invitationId === row!.id)!;
    // The survey is paused before the retry, which cancels the invitation: the email the person
    // got is the one Resend sent on the first attempt.
    await t.ctx.db.update(surveys).set({ active: false }).where(eq(surveys.id, row!.surveyId));
    await sendEverything();
    expect((await stateOf(row!.id)).row.status).toBe("cancelled");
    const outcome = await reportByTags("email.complained", email, row!.id);
    expect(outcome).toBe("recorded");
    const [contact] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, row!.contactId));
    expect(contact!.complainedAt).not.toBeNull();
    expect((await stateOf(row!.id)).row.providerMessageId).toBe(email.id);
  });

  it("leaves out a member whose contact was erased, and sends the others", async () => {
    const rows = await due(3);
    // The request fails before Resend sends anything.
    fake.script("server-error");
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(3);
    expect(fake.count(rows[0]!.id)).toBe(0);

    const [contact] = await t.ctx.db
      .select({ externalId: contacts.externalId })
      .from(contacts)
      .where(eq(contacts.id, rows[0]!.contactId));
    await eraseContact({ ctx: t.ctx, input: { externalId: contact!.externalId } });

    await sendEverything();
    expect((await stateOf(rows[0]!.id)).row.status).toBe("cancelled");
    for (const row of rows.slice(1)) {
      expect((await stateOf(row.id)).row).toMatchObject({ status: "sent", lastError: null });
      expect(fake.count(row.id)).toBe(1);
    }
  });

  it("leaves out a contact who opted out meanwhile", async () => {
    const rows = await due(2);
    // 429: Resend refused the request before doing anything.
    fake.script("rate-limit");
    expect(await sendDueInvitations.runOnce(t.ctx)).toBe(2);
    expect(fake.count(rows[0]!.id)).toBe(0);

    await t.ctx.db
      .update(contacts)
      .set({ optedOutAt: t.clock.now() })
      .where(eq(contacts.id, rows[0]!.contactId));

    await sendEverything();
    expect(fake.count(rows[1]!.id)).toBe(1);
    expect(fake.count(rows[0]!.id)).toBe(0);
    const { events } = await stateOf(rows[0]!.id);
    expect(events.find((event) => event.type === "cancelled")?.detail).toMatchObject({
      reason: "opted_out",
    });
  });
});
