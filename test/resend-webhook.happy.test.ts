import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts, invitations } from "../src/db/schema/index.ts";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { signDelivery } from "../src/delivery/webhook-signature.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createClient, createContact, createInvitation } from "./support/factories.ts";
import { historyOf as history } from "./support/invitation-rows.ts";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
let t: TestApp;
let delivery = 0;

beforeAll(async () => {
  t = await createTestApp({ RESEND_WEBHOOK_SECRET: SECRET });
});
afterAll(() => t.close());

async function deliver(type: string, emailId: string, extra: Record<string, unknown> = {}) {
  return deliverAs(`msg_${++delivery}`, type, emailId, extra);
}

/** One signed delivery under the svix-id `id` (the same on Resend's retries of it). */
async function deliverAs(
  id: string,
  type: string,
  emailId: string,
  extra: Record<string, unknown> = {},
) {
  const body = JSON.stringify({
    type,
    created_at: "2026-11-18T17:10:00.000Z",
    data: { email_id: emailId, to: ["someone@client.example"], ...extra },
  });
  const timestamp = String(Math.floor(t.clock.now().getTime() / 1000));
  return t.request("/v1/webhooks/resend", {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "svix-id": id,
      "svix-timestamp": timestamp,
      "svix-signature": signDelivery(SECRET, id, timestamp, body),
    },
  });
}

async function sentInvitation(overrides: Parameters<typeof createInvitation>[2] = {}) {
  return (
    await createInvitation(t.ctx.db, await appSecret(t.ctx), {
      providerMessageId: `email-${randomBytes(6).toString("hex")}`,
      ...overrides,
    })
  ).invitation;
}

const historyOf = (id: string) => history(t.ctx.db, id);

describe("Resend events update invitations and contacts", () => {
  it("delivered and opened are recorded on the invitation, first time kept", async () => {
    const invitation = await sentInvitation();
    expect((await deliver("email.delivered", invitation.providerMessageId!)).status).toBe(200);
    expect((await deliver("email.opened", invitation.providerMessageId!)).status).toBe(200);
    const [row] = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    expect(row!.deliveredAt?.toISOString()).toBe("2026-11-18T17:10:00.000Z");
    expect(row!.openedAt?.toISOString()).toBe("2026-11-18T17:10:00.000Z");
    expect((await historyOf(invitation.id)).map((event) => event.type).sort()).toEqual([
      "delivered",
      "opened",
    ]);
  });

  it("a permanent bounce suppresses the contact, so a later survey to them is skipped", async () => {
    const contact = await createContact(t.ctx.db);
    const invitation = await sentInvitation({ contactId: contact.id, clientId: contact.clientId });
    // Resend names the recipient as it was sent; the comparison ignores case.
    const response = await deliver("email.bounced", invitation.providerMessageId!, {
      to: [contact.email!.toUpperCase()],
      bounce: { type: "Permanent", subType: "General", message: "No such mailbox." },
    });
    expect(await response.json()).toEqual({ outcome: "recorded" });
    const [suppressed] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, contact.id));
    expect(suppressed!.bouncedAt).not.toBeNull();

    const later = await sentInvitation({
      contactId: contact.id,
      clientId: contact.clientId,
      status: "scheduled",
      providerMessageId: null,
      sentAt: null,
    });
    await sendDueInvitations.runOnce(t.ctx);
    const [row] = await t.ctx.db.select().from(invitations).where(eq(invitations.id, later.id));
    expect(row!.status).toBe("cancelled");
    expect((await historyOf(later.id)).at(-1)?.detail).toEqual({ reason: "bounced" });
  });

  it("erasing the contact takes their address out of a bounce's message and the last error", async () => {
    const address = "priya.raman@acme.example";
    const contact = await createContact(t.ctx.db, { email: address });
    const invitation = await sentInvitation({ contactId: contact.id, clientId: contact.clientId });
    await t.ctx.db
      .update(invitations)
      .set({ lastError: `Invalid \`to\` field: ${address.toUpperCase()}` })
      .where(eq(invitations.id, invitation.id));
    const bounce = {
      type: "Permanent",
      subType: "General",
      message: `550 5.1.1 <${address}>: Recipient address rejected: User unknown`,
    };
    expect(
      (await deliver("email.bounced", invitation.providerMessageId!, { to: [address], bounce }))
        .status,
    ).toBe(200);
    const erased = await t.request(`/v1/contacts/${contact.externalId}`, {
      method: "DELETE",
      key: await t.key("directory:write"),
    });
    expect(erased.status).toBeLessThan(300);
    const history = await historyOf(invitation.id);
    const bounced = history.find((event) => event.type === "bounced");
    expect(bounced?.detail).toMatchObject({
      bounce: {
        type: "Permanent",
        message: "550 5.1.1 <[erased]>: Recipient address rejected: User unknown",
      },
    });
    const [row] = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    expect(JSON.stringify([history, row])).not.toMatch(/priya\.raman@acme\.example/i);
  });

  it("a transient bounce is recorded but does not suppress the contact", async () => {
    const invitation = await sentInvitation();
    await deliver("email.bounced", invitation.providerMessageId!, {
      bounce: { type: "Transient", message: "Mailbox full." },
    });
    const [contact] = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.id, invitation.contactId));
    expect(contact!.bouncedAt).toBeNull();
    expect((await historyOf(invitation.id)).map((event) => event.type)).toEqual(["bounced"]);
  });

  it("a complaint suppresses the contact", async () => {
    const contact = await createContact(t.ctx.db);
    const invitation = await sentInvitation({ contactId: contact.id, clientId: contact.clientId });
    await deliver("email.complained", invitation.providerMessageId!, { to: [contact.email] });
    const [after] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, contact.id));
    expect(after!.complainedAt).not.toBeNull();
  });

  it("an event that names no recipient still suppresses the contact", async () => {
    const invitation = await sentInvitation();
    await deliver("email.complained", invitation.providerMessageId!, { to: undefined });
    const [contact] = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.id, invitation.contactId));
    expect(contact!.complainedAt).not.toBeNull();
  });

  it("a late bounce of an address since corrected does not suppress the corrected one", async () => {
    const admin = await t.key("admin");
    const client = await createClient(t.ctx.db);
    const contact = await createContact(t.ctx.db, {
      clientId: client.id,
      email: "priya@acmedental.exmaple",
    });
    const invitation = await sentInvitation({ contactId: contact.id, clientId: contact.clientId });
    // The PSA corrects the typo before the bounce of the first email comes in.
    const put = await t.request(`/v1/contacts/${contact.externalId}`, {
      method: "PUT",
      key: admin,
      json: { clientExternalId: client.externalId, email: "priya@acmedental.example" },
    });
    expect(put.status).toBe(200);
    const response = await deliver("email.bounced", invitation.providerMessageId!, {
      to: ["priya@acmedental.exmaple"],
      bounce: { type: "Permanent", subType: "General", message: "No such domain." },
    });
    expect(await response.json()).toEqual({ outcome: "recorded" });
    const [after] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, contact.id));
    expect(after!.email).toBe("priya@acmedental.example");
    expect(after!.bouncedAt).toBeNull();
    const [bounce] = await historyOf(invitation.id);
    expect(bounce).toMatchObject({ type: "bounced" });
    expect(bounce!.detail).not.toHaveProperty("suppressedContact");

    // And so the next survey reaches the corrected address.
    const next = await sentInvitation({
      contactId: contact.id,
      clientId: contact.clientId,
      status: "scheduled",
      providerMessageId: null,
      sentAt: null,
    });
    await sendDueInvitations.runOnce(t.ctx);
    const [row] = await t.ctx.db.select().from(invitations).where(eq(invitations.id, next.id));
    expect(row!.status).toBe("sent");
  });

  it("an email whose id was never learned is found by its tags, in either form", async () => {
    // A batch accepted by an attempt whose answer was lost: sent, the provider's id unknown.
    for (const tags of [
      (id: string) => ({ invitation_id: id, email_kind: "survey" }),
      (id: string) => [
        { name: "invitation_id", value: id },
        { name: "email_kind", value: "survey" },
      ],
    ]) {
      const invitation = await sentInvitation({ providerMessageId: null });
      const emailId = `email-${randomBytes(6).toString("hex")}`;
      const response = await deliver("email.delivered", emailId, { tags: tags(invitation.id) });
      expect(response.status).toBe(200);
      const [row] = await t.ctx.db
        .select()
        .from(invitations)
        .where(eq(invitations.id, invitation.id));
      expect(row).toMatchObject({ providerMessageId: emailId });
      expect(row!.deliveredAt).not.toBeNull();
    }
    // A tag naming an invitation that already has its email id is not taken over.
    const known = await sentInvitation();
    await deliver("email.delivered", "email-other", {
      tags: { invitation_id: known.id, email_kind: "survey" },
    });
    const [still] = await t.ctx.db.select().from(invitations).where(eq(invitations.id, known.id));
    expect(still!.providerMessageId).toBe(known.providerMessageId);
    expect(still!.deliveredAt).toBeNull();
  });

  it("Resend's retries of one delivery (same svix-id) are recorded once, even at the same time", async () => {
    const invitation = await sentInvitation();
    const emailId = invitation.providerMessageId!;
    expect((await deliverAs("msg_retried", "email.delivered", emailId)).status).toBe(200);
    expect((await deliverAs("msg_retried", "email.delivered", emailId)).status).toBe(200);
    const together = await Promise.all(
      [1, 2, 3].map(() => deliverAs("msg_retried_together", "email.opened", emailId)),
    );
    expect(together.map((response) => response.status)).toEqual([200, 200, 200]);
    // Another delivery of the same kind of event is still its own entry.
    await deliverAs("msg_another", "email.opened", emailId);
    expect((await historyOf(invitation.id)).map((event) => event.type).sort()).toEqual([
      "delivered",
      "opened",
      "opened",
    ]);
  });

  it("an event about an email rapport did not send is acknowledged and ignored", async () => {
    const response = await deliver("email.delivered", "not-ours");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: "unknown_email" });
  });

  it("a signed body that is not JSON is a 400 problem", async () => {
    const body = "{not json";
    const timestamp = String(Math.floor(t.clock.now().getTime() / 1000));
    const response = await t.request("/v1/webhooks/resend", {
      method: "POST",
      body,
      headers: {
        "svix-id": "msg_x",
        "svix-timestamp": timestamp,
        "svix-signature": signDelivery(SECRET, "msg_x", timestamp, body),
      },
    });
    expect(response.status).toBe(400);
  });
});
