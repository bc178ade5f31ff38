import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contacts } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
let writer: string;
let reader: string;
beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("directory:write");
  reader = await t.key("responses:read");
});
afterAll(() => t.close());

function put(path: string, json: unknown) {
  return t.request(path, { method: "PUT", key: writer, json });
}

async function firstError(response: Response) {
  expect(response.status).toBe(400);
  return (await problemOf(response)).errors?.[0];
}

describe("directory input is checked", () => {
  it("a contact of an unknown client is refused at clientExternalId, and nothing is stored", async () => {
    const response = await put("/v1/contacts/orphan", {
      clientExternalId: "nobody",
      email: "a@b.example",
    });
    expect(await firstError(response)).toMatchObject({ path: "clientExternalId", in: "body" });
    expect(await t.ctx.db.select().from(contacts)).toHaveLength(0);
  });

  it("bad fields are named", async () => {
    await put("/v1/clients/1", { name: "One" });
    const contact = await put("/v1/contacts/x", { clientExternalId: "1", email: "nope" });
    expect(await firstError(contact)).toMatchObject({ path: "email" });
    const client = await put("/v1/clients/2", { name: "", endedAt: "last week" });
    expect((await problemOf(client)).errors!.map((e) => e.path).sort()).toEqual([
      "endedAt",
      "name",
    ]);
    const team = await put("/v1/teams/Help%20Desk", { name: "Help Desk" });
    expect(await firstError(team)).toMatchObject({ path: "key", in: "path" });
    const member = await put("/v1/members/m", { name: "M", teamKey: "Not A Key" });
    expect(await firstError(member)).toMatchObject({ path: "teamKey" });
  });

  it("a client cannot end before it became active, and nothing is written", async () => {
    const both = await put("/v1/clients/dates-1", {
      name: "Dates One",
      activeSince: "2025-06-01T00:00:00Z",
      endedAt: "2025-01-01T00:00:00Z",
    });
    expect(await firstError(both)).toMatchObject({ path: "endedAt", in: "body" });
    expect((await t.request("/v1/clients/dates-1", { key: reader })).status).toBe(404);
    // A new client without activeSince is active from now on.
    const beforeNow = await put("/v1/clients/dates-2", {
      name: "Dates Two",
      endedAt: "2026-01-01T00:00:00Z",
    });
    expect(await firstError(beforeNow)).toMatchObject({ path: "endedAt" });
    expect((await t.request("/v1/clients/dates-2", { key: reader })).status).toBe(404);
  });

  it("a partial PUT is checked against the stored dates, and nothing is written", async () => {
    const created = await put("/v1/clients/dates-3", {
      name: "Dates Three",
      activeSince: "2025-06-01T00:00:00Z",
      endedAt: "2026-01-01T00:00:00Z",
    });
    expect(created.status).toBe(201);
    const earlyEnd = await put("/v1/clients/dates-3", {
      name: "Renamed",
      endedAt: "2025-05-31T23:59:59Z",
    });
    expect(await firstError(earlyEnd)).toMatchObject({ path: "endedAt", in: "body" });
    const lateStart = await put("/v1/clients/dates-3", {
      name: "Renamed",
      activeSince: "2026-02-01T00:00:00Z",
    });
    expect(await firstError(lateStart)).toMatchObject({ path: "endedAt" });
    const stored = await (await t.request("/v1/clients/dates-3", { key: reader })).json();
    expect(stored).toMatchObject({
      name: "Dates Three",
      activeSince: "2025-06-01T00:00:00.000Z",
      endedAt: "2026-01-01T00:00:00.000Z",
    });
    // Ending on the day it started, or reopening, is fine.
    const sameDay = await put("/v1/clients/dates-3", {
      name: "Dates Three",
      endedAt: "2025-06-01T00:00:00Z",
    });
    expect(sameDay.status).toBe(200);
    const reopened = await put("/v1/clients/dates-3", {
      name: "Dates Three",
      activeSince: "2026-02-01T00:00:00Z",
      endedAt: null,
    });
    expect(reopened.status).toBe(200);
  });

  it("limit is 1 to 200 and a cursor must be one the API issued", async () => {
    for (const limit of ["0", "201", "ten"]) {
      const response = await t.request(`/v1/clients?limit=${limit}`, { key: reader });
      expect(await firstError(response)).toMatchObject({ path: "limit", in: "query" });
    }
    for (const cursor of ["garbage", Buffer.from('["x","y"]').toString("base64url")]) {
      const response = await t.request(`/v1/teams?cursor=${cursor}`, { key: reader });
      expect(await firstError(response)).toMatchObject({ path: "cursor", in: "query" });
    }
    // Instants shaped like the database's that it would refuse: year 0, offsets past ±15:59.
    const id = "00000000-0000-4000-8000-000000000000";
    for (const at of [
      "0000-01-01 00:00:00+00",
      "2026-01-01 00:00:00+99",
      "2026-01-01 00:00:00+16",
      // Past microseconds: PostgreSQL refuses a date/time text over 128 characters.
      `2026-11-18 17:00:00.${"1".repeat(200)}+00`,
    ]) {
      const cursor = Buffer.from(JSON.stringify([at, id])).toString("base64url");
      for (const list of ["clients", "contacts", "teams", "members"]) {
        const response = await t.request(`/v1/${list}?cursor=${cursor}`, { key: reader });
        expect(await firstError(response), `${list} ${at}`).toMatchObject({ path: "cursor" });
      }
    }
    // The database's own text of an instant far from UTC still pages.
    const farEast = Buffer.from(JSON.stringify(["2026-01-01 00:00:00+14", id])).toString(
      "base64url",
    );
    expect((await t.request(`/v1/clients?cursor=${farEast}`, { key: reader })).status).toBe(200);
  });

  it("an erased contact cannot be written again", async () => {
    await put("/v1/contacts/gone", { clientExternalId: "1", email: "gone@one.example" });
    const erased = await (
      await t.request("/v1/contacts/gone", { method: "DELETE", key: writer })
    ).json();
    const response = await put(`/v1/contacts/${erased.externalId}`, {
      clientExternalId: "1",
      email: "back@one.example",
    });
    expect(response.status).toBe(409);
  });

  it("unknown ids are 404s", async () => {
    for (const path of [
      "/v1/clients/none",
      "/v1/contacts/none",
      "/v1/teams/none",
      "/v1/members/none",
    ]) {
      expect((await t.request(path, { key: reader })).status).toBe(404);
    }
    expect((await t.request("/v1/contacts/none", { method: "DELETE", key: writer })).status).toBe(
      404,
    );
  });

  it("writing needs directory:write and reading responses:read", async () => {
    expect((await t.request("/v1/clients", { key: writer })).status).toBe(403);
    expect(
      (await t.request("/v1/clients/9", { method: "PUT", key: reader, json: { name: "N" } }))
        .status,
    ).toBe(403);
    expect((await t.request("/v1/contacts/x", { method: "DELETE", key: reader })).status).toBe(403);
    expect((await t.request("/v1/members")).status).toBe(401);
  });
});

describe("directory bodies name only known fields", () => {
  it("a misspelt field is a 400 naming it, and changes nothing", async () => {
    expect((await put("/v1/clients/typo-client", { name: "Typo" })).status).toBe(201);
    const typo = await put("/v1/clients/typo-client", { excludeFromSurvey: true });
    expect(await firstError(typo)).toMatchObject({ path: "excludeFromSurvey", in: "body" });
    const contact = await put("/v1/contacts/typo-contact", {
      clientExternalId: "typo-client",
      optedOUt: true,
    });
    expect(await firstError(contact)).toMatchObject({ path: "optedOUt", in: "body" });
    const client = await t.request("/v1/clients/typo-client", { key: reader });
    expect(await client.json()).toMatchObject({ excludeFromSurveys: false });
    expect((await t.request("/v1/contacts/typo-contact", { key: reader })).status).toBe(404);
  });
});
