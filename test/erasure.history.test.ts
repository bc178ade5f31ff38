import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts, invitationEvents, invitations } from "../src/db/schema/index.ts";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { applyResendEvent } from "../src/delivery/resend-events.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { canonicalEvent } from "./support/factories.ts";

let t: TestApp;
let events: string;
let writer: string;
beforeAll(async () => {
  t = await createTestApp();
  events = await t.key("events:write");
  writer = await t.key("directory:write");
});
afterAll(() => t.close());

/** A contact's closed ticket, its survey sent to `email`: the invitation. */
async function surveyed(externalId: string, email: string) {
  const event = canonicalEvent({
    contact: { externalId, email, name: "Zelda Quistorp", locale: "en-GB" },
  });
  const answer = await t.request("/v1/events", { key: events, json: event });
  expect(answer.status).toBe(202);
  const { invitation } = await answer.json();
  t.clock.advance(3 * 86_400_000);
  while ((await sendDueInvitations.runOnce(t.ctx)) > 0) {}
  const [row] = await t.ctx.db.select().from(invitations).where(eq(invitations.id, invitation.id));
  expect(row!.status).toBe("sent");
  return row!;
}

function bounce(
  invitation: { providerMessageId: string | null },
  deliveryId: string,
  email: string,
  type: string,
  message: string,
) {
  return applyResendEvent({
    ctx: t.ctx,
    input: {
      deliveryId,
      event: {
        type: "email.bounced",
        created_at: t.clock.now().toISOString(),
        data: { email_id: invitation.providerMessageId!, to: [email], bounce: { type, message } },
      },
    },
  });
}

async function historyOf(invitationId: string) {
  return t.ctx.db
    .select({ type: invitationEvents.type, detail: invitationEvents.detail })
    .from(invitationEvents)
    .where(eq(invitationEvents.invitationId, invitationId));
}

const erase = (externalId: string) =>
  t.request(`/v1/contacts/${externalId}`, { method: "DELETE", key: writer });

describe("erasure and the history of a contact's emails", () => {
  it("leaves no address of theirs, also one they had before a bounce made the PSA correct it", async () => {
    const OLD = "zelda.quistorp@old-acmeq.example";
    const NEW = "zelda.quistorp@acmeq.example";
    const invitation = await surveyed("zq-4410", OLD);
    const message = `550 5.1.1 <${OLD}>: Recipient address rejected: User unknown`;
    expect(await bounce(invitation, "msg_bounce_1", OLD, "Permanent", message)).toBe("recorded");
    // The PSA's next event carries the corrected address.
    const second = canonicalEvent({
      type: "ticket.updated",
      occurredAt: "2026-11-21T10:00:00Z",
      contact: { externalId: "zq-4410", email: NEW, name: "Zelda Quistorp", locale: "en-GB" },
    });
    expect((await t.request("/v1/events", { key: events, json: second })).status).toBe(202);
    const [now] = await t.ctx.db.select().from(contacts).where(eq(contacts.externalId, "zq-4410"));
    expect(now!.email).toBe(NEW);

    expect((await erase("zq-4410")).status).toBe(200);
    const bounced = (await historyOf(invitation.id)).find((row) => row.type === "bounced");
    expect(JSON.stringify(bounced?.detail)).toContain("[erased]");
    expect(JSON.stringify(bounced?.detail)).not.toContain(OLD);
  });

  it("a bounce arriving after the erasure does not bring their address back", async () => {
    const EMAIL = "zelda.q@acmeq.example";
    const invitation = await surveyed("zq-5520", EMAIL);
    expect((await erase("zq-5520")).status).toBe(200);
    t.clock.advance(10 * 60_000);
    await bounce(
      invitation,
      "msg_late_bounce",
      EMAIL,
      "Transient",
      `452 4.2.2 <${EMAIL}>: Mailbox full`,
    );
    const history = await historyOf(invitation.id);
    expect(history.map((row) => row.type)).toContain("bounced");
    expect(JSON.stringify(history)).not.toContain(EMAIL);
  });
});

describe("erasing a contact again", () => {
  it("keeps what identifies the PSA's id: its next event still brings no one back", async () => {
    const first = canonicalEvent();
    expect((await t.request("/v1/events", { key: events, json: first })).status).toBe(202);
    const erase = (externalId: string) =>
      t.request(`/v1/contacts/${externalId}`, { method: "DELETE", key: writer });
    const erased = await erase(first.contact!.externalId);
    expect(erased.status).toBe(200);
    const { externalId: erasedId } = (await erased.json()) as { externalId: string };
    // A retried request, or the id the contact list shows.
    for (const id of [first.contact!.externalId, erasedId]) {
      const again = await erase(id);
      expect(again.status).toBe(200);
      expect(((await again.json()) as { externalId: string }).externalId).toBe(erasedId);
    }

    const later = canonicalEvent({ client: first.client, contact: first.contact });
    const answer = await t.request("/v1/events", { key: events, json: later });
    expect(((await answer.json()) as { invitation: unknown }).invitation).toMatchObject({
      status: "skipped",
      reason: "contact_erased",
    });
    expect(JSON.stringify(await t.ctx.db.select().from(contacts))).not.toContain(
      first.contact!.email!,
    );
  });
});
