import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetters, workItems } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { connectwiseSignature, type KeyServer, startKeyServer } from "./support/key-server.ts";

let t: TestApp;
let admin: string;
let keys: KeyServer;
const BASIC = `Basic ${Buffer.from("rapport:pw").toString("base64")}`;

beforeAll(async () => {
  keys = await startKeyServer("replay-signing-key");
  t = await createTestApp({ CONNECTWISE_KEY_ORIGINS: keys.origin });
  admin = await t.key("admin");
});
afterAll(async () => {
  await t.close();
  await keys.close();
});

async function haloIntegration(boardTeams: Record<string, string> = {}) {
  const response = await t.request("/v1/integrations", {
    key: admin,
    json: {
      vendor: "halopsa",
      name: "Halo",
      boardTeams,
      secrets: { basicUsername: "rapport", basicPassword: "pw" },
    },
  });
  return (await response.json()).id as string;
}

function haloTicket(id: number, team: string) {
  return JSON.stringify({
    ticket: {
      id,
      summary: `Ticket ${id}`,
      client_id: 77,
      client_name: "Seaview Clinic",
      user_id: 5000 + id,
      user_emailaddress: `user${id}@seaview.example`,
      team,
      agent_id: 21,
      agent_name: "Jo Smith",
      status_id: 9,
      datecleared: "2026-11-18T12:00:00Z",
    },
    action: { outcome: "Closed", datetime: "2026-11-18T12:00:00Z" },
  });
}

async function deliverHalo(integrationId: string, body: string) {
  return t.request(`/v1/webhooks/halopsa?integration=${integrationId}`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      authorization: BASIC,
      "x-request-id": "req-halo-1",
    },
  });
}

describe("dead letters", () => {
  it("are listed newest first with a cursor, without credentials in their headers", async () => {
    const id = await haloIntegration();
    for (const n of [1, 2, 3]) {
      t.clock.advance(1000);
      expect((await deliverHalo(id, haloTicket(8000 + n, "Unmapped"))).status).toBe(400);
    }
    const first = await t.request("/v1/dead-letters?limit=2", { key: admin });
    expect(first.status).toBe(200);
    const page1 = await first.json();
    expect(page1.data).toHaveLength(2);
    expect(page1.data.map((l: { body: string }) => JSON.parse(l.body).ticket.id)).toEqual([
      8003, 8002,
    ]);
    expect(page1.data[0]).toMatchObject({
      field: "ticket.team",
      source: `halopsa:${id}`,
      replayedAt: null,
    });
    expect(page1.data[0].headers["x-request-id"]).toBe("req-halo-1");
    expect(page1.data[0].headers.authorization).toBeUndefined();
    const page2 = await (
      await t.request(`/v1/dead-letters?limit=2&cursor=${page1.nextCursor}`, { key: admin })
    ).json();
    expect(page2.data.map((l: { body: string }) => JSON.parse(l.body).ticket.id)).toContain(8001);
    expect(page2.data.map((l: { id: string }) => l.id)).not.toContain(page1.data[0].id);
  });

  it("replay after fixing the mapping records the event once and marks the letter", async () => {
    const id = await haloIntegration();
    const failed = await deliverHalo(id, haloTicket(8101, "Onsite"));
    const letterId = failed.headers.get("x-dead-letter-id")!;

    const stillBroken = await t.request(`/v1/dead-letters/${letterId}/replay`, {
      key: admin,
      method: "POST",
    });
    expect(stillBroken.status).toBe(400);
    expect((await problemOf(stillBroken)).errors?.[0]?.path).toBe("ticket.team");

    const fix = await t.request(`/v1/integrations/${id}`, {
      key: admin,
      method: "PATCH",
      json: { boardTeams: { Onsite: "field-services" } },
    });
    expect(fix.status).toBe(200);
    const replay = await t.request(`/v1/dead-letters/${letterId}/replay`, {
      key: admin,
      method: "POST",
    });
    expect(replay.status).toBe(200);
    const body = await replay.json();
    expect(body.outcome).toMatchObject({
      status: "ingested",
      duplicate: false,
      touchesRecorded: 1,
    });
    expect(body.outcome.invitation).toMatchObject({ status: "scheduled" });
    expect(body.deadLetter.replayedAt).toBeTruthy();
    expect(
      await t.ctx.db.select().from(workItems).where(eq(workItems.externalId, "8101")),
    ).toHaveLength(1);

    const again = await t.request(`/v1/dead-letters/${letterId}/replay`, {
      key: admin,
      method: "POST",
    });
    expect(again.status).toBe(409);
  });

  it("of concurrent replays of one letter, one records the event and the others are 409s", async () => {
    const id = await haloIntegration();
    const failed = await deliverHalo(id, haloTicket(8102, "Onsite"));
    const letterId = failed.headers.get("x-dead-letter-id")!;
    await t.request(`/v1/integrations/${id}`, {
      key: admin,
      method: "PATCH",
      json: { boardTeams: { Onsite: "field-services" } },
    });
    const replays = await Promise.all(
      [1, 2, 3].map(() =>
        t.request(`/v1/dead-letters/${letterId}/replay`, { key: admin, method: "POST" }),
      ),
    );
    expect(replays.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect(
      await t.ctx.db.select().from(workItems).where(eq(workItems.externalId, "8102")),
    ).toHaveLength(1);
  });

  it("a ConnectWise letter replays without fetching the signing key again", async () => {
    const created = await t.request("/v1/integrations", {
      key: admin,
      json: { vendor: "connectwise", name: "CW", boardTeams: {} },
    });
    const id = (await created.json()).id as string;
    const entity = {
      id: 8201,
      summary: "VPN drops",
      board: { id: 1, name: "Help Desk" },
      company: { id: 250, name: "Acme Dental Group" },
      owner: { identifier: "jlopez", name: "Jordan Lopez" },
      closedFlag: true,
      closedDate: "2026-11-18T16:42:10Z",
    };
    const raw = JSON.stringify({
      Action: "updated",
      Type: "ticket",
      ID: 8201,
      Entity: JSON.stringify(entity),
      Metadata: { key_url: keys.keyUrl("replay") },
    });
    const failed = await t.request(`/v1/webhooks/connectwise?integration=${id}`, {
      method: "POST",
      body: raw,
      headers: { "x-content-signature": connectwiseSignature("replay-signing-key", raw) },
    });
    expect(failed.status).toBe(400);
    const hits = keys.hits.length;
    keys.setKey("rotated-key-that-would-not-verify");
    await t.request(`/v1/integrations/${id}`, {
      key: admin,
      method: "PATCH",
      json: { boardTeams: { "Help Desk": "help-desk" } },
    });
    const replay = await t.request(
      `/v1/dead-letters/${failed.headers.get("x-dead-letter-id")}/replay`,
      {
        key: admin,
        method: "POST",
      },
    );
    expect(replay.status).toBe(200);
    expect(keys.hits.length).toBe(hits);
  });

  it("deleting the integration deletes its letters; unknown ids are 404", async () => {
    const id = await haloIntegration();
    const failed = await deliverHalo(id, haloTicket(8301, "Nowhere"));
    const letterId = failed.headers.get("x-dead-letter-id")!;
    await t.request(`/v1/integrations/${id}`, { key: admin, method: "DELETE" });
    expect(
      await t.ctx.db.select().from(deadLetters).where(eq(deadLetters.id, letterId)),
    ).toHaveLength(0);
    const replay = await t.request(`/v1/dead-letters/${letterId}/replay`, {
      key: admin,
      method: "POST",
    });
    expect(replay.status).toBe(404);
  });

  it("a malformed cursor is a 400 naming the cursor, and only admin keys may look", async () => {
    const bad = await t.request("/v1/dead-letters?cursor=bm90LWEtY3Vyc29y", { key: admin });
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).errors?.[0]?.path).toBe("cursor");
    const reader = await t.key("responses:read");
    expect((await t.request("/v1/dead-letters", { key: reader })).status).toBe(403);
  });
});
