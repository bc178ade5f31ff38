import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invitationEvents } from "../src/db/schema/index.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { createInvitation, createWorkItem } from "./support/factories.ts";

let t: TestApp;
let secret: string;
beforeAll(async () => {
  t = await createTestApp();
  secret = await appSecret(t.ctx);
});
afterAll(() => t.close());

describe("GET /v1/invitations?workItem=", () => {
  it("shows each invitation's state, history, response and clicks", async () => {
    const item = await createWorkItem(t.ctx.db);
    const { invitation, token } = await createInvitation(t.ctx.db, secret, {
      workItemId: item.id,
      clientId: item.clientId,
    });
    await t.ctx.db.insert(invitationEvents).values([
      { invitationId: invitation.id, type: "sent", at: new Date("2026-11-18T17:00:00Z") },
      { invitationId: invitation.id, type: "delivered", at: new Date("2026-11-18T17:00:03Z") },
    ]);
    t.clock.set("2026-11-18T17:10:00Z");
    const person = { "user-agent": "Mozilla/5.0 Firefox/145.0", "accept-language": "en" };
    await t.request(`/r/${token}/2`, { headers: { "user-agent": "python-requests/2.32" } });
    await t.request(`/r/${token}/3`, { headers: person });

    const key = await t.key("responses:read");
    const answer = await t.request(`/v1/invitations?workItem=${item.externalId}&kind=ticket`, {
      key,
    });
    expect(answer.status).toBe(200);
    const { data } = await answer.json();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      id: invitation.id,
      status: "sent",
      response: { state: "recorded", score: 3 },
      events: [{ type: "sent" }, { type: "delivered" }],
      clicks: {
        total: 2,
        byVerdict: { flagged: 1, recorded: 1 },
        lastAt: "2026-11-18T17:10:00.000Z",
      },
    });
    expect(JSON.stringify(data)).not.toContain(token);
  });

  it("an unknown work item is a 404; a missing workItem names the field", async () => {
    const key = await t.key("responses:read");
    expect((await t.request("/v1/invitations?workItem=nope", { key })).status).toBe(404);
    const missing = await t.request("/v1/invitations", { key });
    expect((await problemOf(missing)).errors?.[0]).toMatchObject({ path: "workItem", in: "query" });
  });
});
