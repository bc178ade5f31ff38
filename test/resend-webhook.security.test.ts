import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts, invitationEvents } from "../src/db/schema/index.ts";
import { signDelivery } from "../src/delivery/webhook-signature.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { createContact, createInvitation } from "./support/factories.ts";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const fixture = JSON.parse(
  readFileSync(new URL("../../shared/fixtures/resend/email-bounced.json", import.meta.url), "utf8"),
);

let t: TestApp;
let invitationId: string;
let contactId: string;
let body: string;

beforeAll(async () => {
  t = await createTestApp({ RESEND_WEBHOOK_SECRET: SECRET });
  // The fixture's recipient is the contact's address, as in a real bounce.
  const contact = await createContact(t.ctx.db, { email: fixture.data.to[0] });
  const { invitation } = await createInvitation(t.ctx.db, await appSecret(t.ctx), {
    contactId: contact.id,
    clientId: contact.clientId,
    providerMessageId: "email-under-test",
  });
  invitationId = invitation.id;
  contactId = invitation.contactId;
  body = JSON.stringify({ ...fixture, data: { ...fixture.data, email_id: "email-under-test" } });
});
afterAll(() => t.close());

const seconds = (date: Date) => String(Math.floor(date.getTime() / 1000));

function post(headers: Record<string, string>, payload = body) {
  return t.request("/v1/webhooks/resend", {
    method: "POST",
    body: payload,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function nothingRecorded() {
  const events = await t.ctx.db
    .select()
    .from(invitationEvents)
    .where(eq(invitationEvents.invitationId, invitationId));
  const [contact] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, contactId));
  expect(events).toHaveLength(0);
  expect(contact!.bouncedAt).toBeNull();
}

describe("Resend webhooks are accepted only with a valid signature", () => {
  it("a wrong signature is a 401 problem and nothing is recorded", async () => {
    const timestamp = seconds(t.clock.now());
    const other = `whsec_${randomBytes(24).toString("base64")}`;
    const response = await post({
      "svix-id": "msg_1",
      "svix-timestamp": timestamp,
      "svix-signature": signDelivery(other, "msg_1", timestamp, body),
    });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).title).toBe("Invalid signature");
    await nothingRecorded();
  });

  it("a signature of another body is a 401", async () => {
    const timestamp = seconds(t.clock.now());
    const response = await post(
      {
        "svix-id": "msg_2",
        "svix-timestamp": timestamp,
        "svix-signature": signDelivery(SECRET, "msg_2", timestamp, body),
      },
      body.replace("Permanent", "Transient"),
    );
    expect(response.status).toBe(401);
    await nothingRecorded();
  });

  it("a timestamp more than 5 minutes old is a 401 even when correctly signed", async () => {
    const timestamp = seconds(new Date(t.clock.now().getTime() - 6 * 60_000));
    const response = await post({
      "svix-id": "msg_3",
      "svix-timestamp": timestamp,
      "svix-signature": signDelivery(SECRET, "msg_3", timestamp, body),
    });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).detail).toContain("5 minutes");
    await nothingRecorded();
  });

  it("missing signature headers are a 401", async () => {
    const response = await post({});
    expect(response.status).toBe(401);
    await nothingRecorded();
  });

  it("a valid signature among several (key rotation) is accepted and recorded", async () => {
    const timestamp = seconds(new Date(t.clock.now().getTime() - 4 * 60_000));
    const stale = signDelivery(
      `whsec_${randomBytes(24).toString("base64")}`,
      "msg_4",
      timestamp,
      body,
    );
    const response = await post({
      "svix-id": "msg_4",
      "svix-timestamp": timestamp,
      "svix-signature": `${stale} ${signDelivery(SECRET, "msg_4", timestamp, body)}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: "recorded" });
    const [contact] = await t.ctx.db.select().from(contacts).where(eq(contacts.id, contactId));
    expect(contact!.bouncedAt).not.toBeNull();
  });
});

describe("without RESEND_WEBHOOK_SECRET", () => {
  it("the endpoint answers 503 and names the setting", async () => {
    const bare = await createTestApp();
    try {
      const response = await bare.request("/v1/webhooks/resend", { method: "POST", body });
      expect(response.status).toBe(503);
      expect((await problemOf(response)).detail).toContain("RESEND_WEBHOOK_SECRET");
    } finally {
      await bare.close();
    }
  });
});
