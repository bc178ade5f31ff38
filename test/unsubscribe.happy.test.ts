import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts, invitationEvents } from "../src/db/schema/index.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createInvitation } from "./support/factories.ts";

let t: TestApp;
let secret: string;
beforeAll(async () => {
  t = await createTestApp();
  secret = await appSecret(t.ctx);
  t.clock.set("2026-11-18T18:00:00Z");
});
afterAll(() => t.close());

const optedOutAt = async (contactId: string) =>
  (await t.ctx.db.select().from(contacts).where(eq(contacts.id, contactId)))[0]?.optedOutAt;

const form = (
  token: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) =>
  t.request(`/u/${token}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });

describe("unsubscribe", () => {
  it("GET shows a confirm page and changes nothing", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const page = await t.request(`/u/${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Stop receiving surveys?");
    expect(html).toContain(`action="/u/${token}"`);
    expect(await optedOutAt(invitation.contactId)).toBeNull();
  });

  it("the page's button opts the contact out", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const html = await (await t.request(`/u/${token}`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const done = await form(token, { csrf }, { origin: "http://rapport.test" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("You are unsubscribed");
    expect(await optedOutAt(invitation.contactId)).toEqual(new Date("2026-11-18T18:00:00Z"));
    expect(await (await t.request(`/u/${token}`)).text()).toContain("You are unsubscribed");
  });

  it("an RFC 8058 one-click POST opts out at once, and repeating it changes nothing", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const first = await form(token, { "List-Unsubscribe": "One-Click" });
    expect(first.status).toBe(200);
    const at = await optedOutAt(invitation.contactId);
    expect(at).toBeInstanceOf(Date);
    t.clock.advance(60_000);
    const again = await form(token, { "List-Unsubscribe": "One-Click" });
    expect(again.status).toBe(200);
    expect(await optedOutAt(invitation.contactId)).toEqual(at);
    const events = await t.ctx.db
      .select()
      .from(invitationEvents)
      .where(eq(invitationEvents.invitationId, invitation.id));
    expect(events.map((e) => [e.type, e.detail])).toEqual([["unsubscribed", { via: "one-click" }]]);
  });

  it("works for an expired invitation", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret, {
      expiresAt: new Date("2026-11-18T17:30:00Z"),
    });
    expect((await form(token, { "List-Unsubscribe": "One-Click" })).status).toBe(200);
    expect(await optedOutAt(invitation.contactId)).toBeInstanceOf(Date);
  });

  it("a post without the form token or the one-click body is refused", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    expect((await form(token, {})).status).toBe(403);
    expect((await form(token, { csrf: "forged" })).status).toBe(403);
    expect(await optedOutAt(invitation.contactId)).toBeNull();
  });

  it("unknown tokens are a friendly 404 page", async () => {
    const page = await t.request("/u/AAAAAAAAAAAAAAAAAAAAAAAA");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(
      (await form("AAAAAAAAAAAAAAAAAAAAAAAA", { "List-Unsubscribe": "One-Click" })).status,
    ).toBe(404);
  });
});
