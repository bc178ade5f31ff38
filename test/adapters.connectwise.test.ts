import { readFileSync } from "node:fs";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../src/db/client.ts";
import { deadLetters, events, invitations, touches, workItems } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import {
  CONNECTWISE_CREDENTIALS,
  type FakeConnectwise,
  startFakeConnectwise,
  timeEntry,
} from "./support/fake-connectwise.ts";
import { connectwiseSignature, type KeyServer, startKeyServer } from "./support/key-server.ts";

const fixture = JSON.parse(
  readFileSync(
    new URL("../../shared/fixtures/psa/connectwise-ticket-closed.json", import.meta.url),
    "utf8",
  ),
) as Record<string, unknown>;
const SIGNING_KEY = "cw-callback-signing-key-3f8a";

let t: TestApp;
let keys: KeyServer;
let integrationId: string;
let url: string;

beforeAll(async () => {
  keys = await startKeyServer(SIGNING_KEY);
  // The fake ConnectWise API is on loopback.
  t = await createTestApp({ CONNECTWISE_KEY_ORIGINS: keys.origin, OUTBOUND_ALLOW_PRIVATE: "true" });
  const admin = await t.key("admin");
  const created = await t.request("/v1/integrations", {
    key: admin,
    json: {
      vendor: "connectwise",
      name: "ConnectWise cloud",
      boardTeams: { "Help Desk": "help-desk", Projects: "projects" },
      settings: { memberTeams: { mchen: "centralized-services" } },
    },
  });
  integrationId = (await created.json()).id;
  url = `/v1/webhooks/connectwise?integration=${integrationId}`;
});
afterAll(async () => {
  await t.close();
  await keys.close();
});

/** The fixture with its ticket changed by `edit`, pointing at the loopback key server. */
function delivery(
  edit: (entity: Record<string, unknown>) => void = () => {},
  keyUrl = keys.keyUrl(),
) {
  const entity = JSON.parse(fixture.Entity as string) as Record<string, unknown>;
  edit(entity);
  return JSON.stringify({
    ...fixture,
    Entity: JSON.stringify(entity),
    Metadata: { key_url: keyUrl },
  });
}

function send(body: string, signature = connectwiseSignature(SIGNING_KEY, body), target = url) {
  return t.request(target, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-content-signature": signature },
  });
}

async function counts() {
  const [row] = await queryRows<{ events: number; letters: number }>(
    t.ctx.db,
    sql`select (select count(*) from ${events})::int as events, (select count(*) from ${deadLetters})::int as letters`,
  );
  return row!;
}

describe("ConnectWise callbacks", () => {
  it("the fixture's closed ticket records the work item, its touches and one invitation", async () => {
    const response = await send(delivery());
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome).toMatchObject({ status: "ingested", duplicate: false, touchesRecorded: 2 });
    expect(outcome.invitation).toMatchObject({ status: "scheduled", surveyKey: "ticket-csat" });

    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item).toMatchObject({
      kind: "ticket",
      externalId: "48213",
      // ConnectWise shows the ticket id as its number: the email names `#48213`.
      reference: "48213",
      status: "closed",
      board: "Help Desk",
    });
    expect(item!.closedAt?.toISOString()).toBe("2026-11-18T16:42:10.000Z");
    const rows = await queryRows<{ member: string; team: string; role: string }>(
      t.ctx.db,
      sql`select m.external_id as member, tm.key as team, t.role from touches t
          join members m on m.id = t.member_id join teams tm on tm.id = t.team_id
          where t.work_item_id = ${outcome.workItemId} order by m.external_id`,
    );
    expect(rows).toEqual([
      { member: "jlopez", team: "help-desk", role: "owner" },
      { member: "mchen", team: "centralized-services", role: "resource" },
    ]);
    const [stored] = await t.ctx.db.select().from(events).where(eq(events.id, outcome.eventId));
    expect(stored!.source).toBe(`connectwise:${integrationId}`);
    expect(stored!.externalId).toBe(
      "connectwise:ticket:48213:ticket.closed:2026-11-18T16:42:10.000Z",
    );
  });

  it("three concurrent deliveries of one callback make one work item, one set of touches, one invitation", async () => {
    const body = delivery((e) => {
      e.id = 50001;
      e.contact = { id: 50001, name: "Lee Park" };
      e.contactEmailAddress = "lee.park@acmedental.example";
    });
    const answers = await Promise.all([send(body), send(body), send(body)]);
    const outcomes = await Promise.all(answers.map((r) => r.json()));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.workItemId)).size).toBe(1);
    const workItemId = outcomes[0].workItemId as string;
    expect(
      await t.ctx.db.select().from(workItems).where(eq(workItems.externalId, "50001")),
    ).toHaveLength(1);
    expect(
      await t.ctx.db.select().from(touches).where(eq(touches.workItemId, workItemId)),
    ).toHaveLength(2);
    expect(
      await t.ctx.db.select().from(invitations).where(eq(invitations.workItemId, workItemId)),
    ).toHaveLength(1);
  });

  it("a later callback on the closed ticket records who joined it, and no second survey", async () => {
    const first = (e: Record<string, unknown>) => {
      e.id = 50010;
      e.contact = { id: 50010, name: "Ana Ruiz" };
      e.contactEmailAddress = "ana.ruiz@acmedental.example";
    };
    const closed = await (await send(delivery(first))).json();
    const later = delivery((e) => {
      first(e);
      e.resources = "jlopez, mchen, rpatel";
      e._info = { lastUpdated: "2026-11-18T17:31:00Z", dateEntered: "2026-11-17T09:03:00Z" };
    });
    const outcome = await (await send(later)).json();
    expect(outcome).toMatchObject({ duplicate: false, touchesRecorded: 1 });
    expect(outcome.workItemId).toBe(closed.workItemId);
    expect(outcome.invitation).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    const members = await queryRows<{ member: string }>(
      t.ctx.db,
      sql`select m.external_id as member from touches t join members m on m.id = t.member_id
          where t.work_item_id = ${closed.workItemId} order by m.external_id`,
    );
    expect(members.map((row) => row.member)).toEqual(["jlopez", "mchen", "rpatel"]);
    // ConnectWise retrying that callback is still one event.
    expect((await (await send(later)).json()).duplicate).toBe(true);
  });

  it("a ticket without a contact email is recorded but no survey is scheduled", async () => {
    const response = await send(
      delivery((e) => {
        e.id = 50002;
        e.contact = { id: 50002, name: "No Mail" };
        delete e.contactEmailAddress;
      }),
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome.workItemId).toBeTruthy();
    expect(outcome.invitation).toMatchObject({ status: "skipped", reason: "no_email" });
  });

  it("a reopen is an update, and the re-close schedules no second survey", async () => {
    const first = (e: Record<string, unknown>) => {
      e.id = 50003;
      e.contact = { id: 50003, name: "Ray Cho" };
      e.contactEmailAddress = "ray.cho@acmedental.example";
    };
    const closed = await (await send(delivery(first))).json();
    expect(closed.invitation.status).toBe("scheduled");
    const reopened = await send(
      delivery((e) => {
        first(e);
        e.closedFlag = false;
        e.status = { id: 12, name: "Reopened" };
        delete e.closedDate;
        e._info = { lastUpdated: "2026-11-19T08:00:00Z", dateEntered: "2026-11-17T09:03:00Z" };
      }),
    );
    expect(reopened.status).toBe(202);
    expect((await reopened.json()).invitation).toBeNull();
    const reclosed = await (
      await send(
        delivery((e) => {
          first(e);
          e.closedDate = "2026-11-19T10:00:00Z";
        }),
      )
    ).json();
    expect(reclosed.duplicate).toBe(false);
    expect(reclosed.invitation).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    expect(
      await t.ctx.db
        .select()
        .from(invitations)
        .where(eq(invitations.workItemId, closed.workItemId)),
    ).toHaveLength(1);
  });

  it("a completed project is a project.completed credited to its manager", async () => {
    const project = {
      id: 7001,
      name: "Office 365 migration",
      board: { id: 3, name: "Projects" },
      status: { id: 5, name: "Completed" },
      company: { id: 250, identifier: "AcmeDental", name: "Acme Dental Group" },
      contact: { id: 1733, name: "Priya Raman" },
      manager: { id: 160, identifier: "akhan", name: "Aisha Khan" },
      closedFlag: true,
      actualEnd: "2026-11-18T15:00:00Z",
      _info: { lastUpdated: "2026-11-18T15:00:00Z", dateEntered: "2026-10-01T09:00:00Z" },
    };
    const body = JSON.stringify({
      ...fixture,
      Type: "project",
      ID: 7001,
      Entity: JSON.stringify(project),
      Metadata: { key_url: keys.keyUrl() },
    });
    const response = await send(body);
    expect(response.status).toBe(202);
    const outcome = await response.json();
    const [stored] = await t.ctx.db.select().from(events).where(eq(events.id, outcome.eventId));
    expect(stored!.type).toBe("project.completed");
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item).toMatchObject({ kind: "project", externalId: "7001" });
    expect(outcome.touchesRecorded).toBe(1);
  });

  it("a member named only by their login in `resources` keeps the real name on record", async () => {
    const put = await t.request("/v1/members/mchen", {
      method: "PUT",
      key: await t.key("directory:write"),
      json: { name: "Mei Chen", teamKey: "help-desk" },
    });
    expect(put.status).toBeLessThan(300);
    const response = await send(
      delivery((e) => {
        e.id = 50005;
      }),
    );
    expect(response.status).toBe(202);
    const member = await t.request("/v1/members/mchen", { key: await t.key("responses:read") });
    expect(await member.json()).toMatchObject({ externalId: "mchen", name: "Mei Chen" });
  });

  it("a member first seen without a name is named by their login until a name arrives", async () => {
    const response = await send(
      delivery((e) => {
        e.id = 50006;
        e.resources = "jlopez, tnguyen";
      }),
    );
    expect(response.status).toBe(202);
    const read = await t.key("responses:read");
    const first = await t.request("/v1/members/tnguyen", { key: read });
    expect(await first.json()).toMatchObject({ name: "tnguyen" });
    const update = await send(
      delivery((e) => {
        e.id = 50006;
        e.resources = "jlopez";
        e.owner = { id: 170, identifier: "tnguyen", name: "Thao Nguyen" };
        e.closedFlag = false;
        delete e.closedDate;
        e._info = { lastUpdated: "2026-11-18T17:00:00Z" };
      }),
    );
    expect(update.status).toBe(202);
    const named = await t.request("/v1/members/tnguyen", { key: read });
    expect(await named.json()).toMatchObject({ name: "Thao Nguyen" });
  });

  it("a completed project without actualEnd closes when the record was last updated", async () => {
    const project = {
      id: 7002,
      name: "Firewall replacement",
      board: { id: 3, name: "Projects" },
      status: { id: 5, name: "Completed" },
      company: { id: 250, identifier: "AcmeDental", name: "Acme Dental Group" },
      manager: { id: 160, identifier: "akhan", name: "Aisha Khan" },
      closedFlag: true,
      _info: { lastUpdated: "2026-11-18T15:30:00Z", dateEntered: "2026-10-01T09:00:00Z" },
    };
    const response = await send(
      JSON.stringify({
        ...fixture,
        Type: "project",
        ID: 7002,
        Entity: JSON.stringify(project),
        Metadata: { key_url: keys.keyUrl() },
      }),
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    const [stored] = await t.ctx.db.select().from(events).where(eq(events.id, outcome.eventId));
    expect(stored!.type).toBe("project.completed");
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item).toMatchObject({ status: "closed" });
    expect(item!.closedAt?.toISOString()).toBe("2026-11-18T15:30:00.000Z");
  });

  it("a deleted record is acknowledged and nothing is recorded", async () => {
    const before = await counts();
    const body = JSON.stringify({ ...JSON.parse(delivery()), Action: "deleted" });
    const response = await send(body);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: "ignored" });
    expect(await counts()).toEqual(before);
  });
});

describe("ConnectWise deliveries that cannot be mapped", () => {
  it("an unknown board is a 400 naming Entity.board.name, kept as a dead letter", async () => {
    const before = await counts();
    const body = delivery((e) => {
      e.id = 50004;
      e.board = { id: 99, name: "Dispatch" };
    });
    const response = await send(body);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors?.[0]?.path).toBe("Entity.board.name");
    expect(problem.detail).toContain("Dispatch");
    const letterId = response.headers.get("x-dead-letter-id")!;
    const [letter] = await t.ctx.db.select().from(deadLetters).where(eq(deadLetters.id, letterId));
    expect(letter).toMatchObject({
      source: `connectwise:${integrationId}`,
      integrationId,
      field: "Entity.board.name",
      body,
    });
    expect(letter!.headers["content-type"]).toBe("application/json");
    expect(Object.keys(letter!.headers)).not.toContain("x-content-signature");
    expect(await counts()).toEqual({ events: before.events, letters: before.letters + 1 });
  });

  it("a body over the size limit is a 413", async () => {
    const big = delivery((e) => {
      e.summary = "x".repeat(t.config.BODY_LIMIT_BYTES + 10);
    });
    const response = await send(big);
    expect(response.status).toBe(413);
    expect((await problemOf(response)).title).toBe("Payload too large");
  });
});

describe("ConnectWise status mappings", () => {
  async function integration(statusMap: Record<string, string>) {
    const created = await t.request("/v1/integrations", {
      key: await t.key("admin"),
      json: {
        vendor: "connectwise",
        name: "ConnectWise with statuses",
        boardTeams: { "Help Desk": "help-desk" },
        statusMap,
        settings: { memberTeams: { mchen: "centralized-services" } },
      },
    });
    expect(created.status).toBe(201);
    return `/v1/webhooks/connectwise?integration=${(await created.json()).id}`;
  }
  const sendTo = (target: string, body: string) =>
    t.request(target, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-content-signature": connectwiseSignature(SIGNING_KEY, body),
      },
    });

  it("a status mapped to ticket.closed closes a ticket ConnectWise has not flagged closed yet", async () => {
    const target = await integration({ Resolved: "ticket.closed" });
    const response = await sendTo(
      target,
      delivery((e) => {
        e.id = 93001;
        e.status = { id: 20, name: "Resolved" };
        e.closedFlag = false;
        delete e.closedDate;
      }),
    );
    expect(response.status).toBe(202);
    const [stored] = await t.ctx.db
      .select()
      .from(events)
      .where(eq(events.id, (await response.json()).eventId));
    expect(stored!.type).toBe("ticket.closed");
    const [item] = await t.ctx.db.select().from(workItems).where(eq(workItems.externalId, "93001"));
    // Closed when the status changed: the record's last update.
    const entity = JSON.parse(fixture.Entity as string) as { _info: { lastUpdated: string } };
    expect(item!.closedAt?.toISOString()).toBe(new Date(entity._info.lastUpdated).toISOString());
  });

  it("a status mapped to ignore is acknowledged even on a board no team is mapped for", async () => {
    const target = await integration({ "Waiting on client": "ignore" });
    const before = await counts();
    const response = await sendTo(
      target,
      delivery((e) => {
        e.id = 93002;
        e.board = { id: 42, name: "Sales" };
        e.status = { id: 7, name: "Waiting on client" };
        e.closedFlag = false;
        delete e.closedDate;
      }),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: "ignored" });
    expect(await counts()).toEqual(before);
  });

  it("a member named like an object's built-in property keeps the board's team", async () => {
    const response = await send(
      delivery((e) => {
        e.id = 93003;
        e.resources = "jlopez, constructor";
      }),
    );
    expect(response.status).toBe(202);
    expect((await response.json()).touchesRecorded).toBe(2);
  });
});

describe("ConnectWise authenticity", () => {
  it("a wrong signature is a 401 and records nothing", async () => {
    const before = await counts();
    const body = delivery((e) => {
      e.id = 50005;
    });
    const response = await send(body, connectwiseSignature("another-key", body));
    expect(response.status).toBe(401);
    expect((await problemOf(response)).title).toBe("Invalid signature");
    expect(await counts()).toEqual(before);
  });

  it("a body changed after signing is a 401", async () => {
    const body = delivery((e) => {
      e.id = 50006;
    });
    const signature = connectwiseSignature(SIGNING_KEY, body);
    const response = await send(body.replace("Outlook", "Outlock"), signature);
    expect(response.status).toBe(401);
  });

  it("a missing signature header is a 401", async () => {
    const response = await t.request(url, { method: "POST", body: delivery() });
    expect(response.status).toBe(401);
  });

  it.each([
    [
      "plain http on a ConnectWise host",
      "http://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=1",
    ],
    ["the cloud metadata IP", "https://169.254.169.254/latest/meta-data/iam/security-credentials/"],
    ["an IPv6 literal", "https://[::1]/key"],
    ["another host", "https://keys.evil.example/signing-key"],
    ["a look-alike host", "https://api-na.myconnectwise.net.evil.example/key"],
    ["userinfo before the real host", "https://api-na.myconnectwise.net@evil.example/key"],
    ["a non-default port", "https://api-na.myconnectwise.net:8443/key"],
    ["a configured origin's host on another port", "http://127.0.0.1:1/key"],
  ])("a key_url with %s is refused before any fetch: 401, nothing recorded", async (_, keyUrl) => {
    const before = await counts();
    const hits = keys.hits.length;
    const body = delivery(() => {}, keyUrl);
    const response = await send(body);
    expect(response.status).toBe(401);
    expect((await problemOf(response)).detail).toContain("key_url");
    expect(keys.hits.length).toBe(hits);
    expect(await counts()).toEqual(before);
  });

  it("the signing key is fetched once and then cached", async () => {
    const keyUrl = keys.keyUrl("cache-check");
    const hitsFor = () => keys.hits.filter((hit) => hit.endsWith("id=cache-check")).length;
    for (const id of [50007, 50008]) {
      const body = delivery((e) => {
        e.id = id;
      }, keyUrl);
      expect((await send(body)).status).toBe(202);
    }
    expect(hitsFor()).toBe(1);
  });

  it("an unknown integration id is a 404 and a missing one a 400", async () => {
    const unknown = await t.request(
      "/v1/webhooks/connectwise?integration=00000000-0000-4000-8000-000000000000",
      {
        method: "POST",
        body: delivery(),
      },
    );
    expect(unknown.status).toBe(404);
    const missing = await t.request("/v1/webhooks/connectwise", {
      method: "POST",
      body: delivery(),
    });
    expect(missing.status).toBe(400);
    expect((await problemOf(missing)).errors?.[0]?.path).toBe("integration");
  });
});

describe("ConnectWise time entries from the REST API", () => {
  let api: FakeConnectwise;
  let apiUrl: string;
  beforeAll(async () => {
    api = await startFakeConnectwise();
    const created = await t.request("/v1/integrations", {
      key: await t.key("admin"),
      json: {
        vendor: "connectwise",
        name: "ConnectWise with API member",
        baseUrl: api.baseUrl,
        boardTeams: { "Help Desk": "help-desk" },
        settings: { memberTeams: { mchen: "centralized-services" } },
        secrets: CONNECTWISE_CREDENTIALS,
      },
    });
    expect(created.status).toBe(201);
    apiUrl = `/v1/webhooks/connectwise/${(await created.json()).id}`;
  });
  afterAll(() => api.close());

  /** The fixture's closed ticket as ticket `id`, with a contact of its own. */
  function closedTicket(id: number, edit: (entity: Record<string, unknown>) => void = () => {}) {
    return delivery((e) => {
      e.id = id;
      e.contact = { id, name: "Lee Park" };
      e.contactEmailAddress = `lee.park+${id}@acmedental.example`;
      edit(e);
    });
  }

  async function touchesOf(workItemId: string) {
    return queryRows<{ member: string; team: string; role: string; minutes: number | null }>(
      t.ctx.db,
      sql`select m.external_id as member, tm.key as team, t.role, t.minutes from touches t
          join members m on m.id = t.member_id join teams tm on tm.id = t.team_id
          where t.work_item_id = ${workItemId} order by m.external_id, t.role`,
    );
  }

  const requestsFor = (ticketId: number) =>
    api.requests.filter((r) =>
      r.url.searchParams.get("conditions")?.endsWith(`chargeToId=${ticketId}`),
    );

  it("a closed ticket's time entries become time-entry touches with their minutes and team", async () => {
    api.timeEntries.set("ServiceTicket:60001", [
      timeEntry(60001, "jlopez", 1, "2026-11-18T10:00:00Z"),
      timeEntry(60001, "rpatel", 0.5, "2026-11-18T11:00:00Z"),
      timeEntry(60001, "rpatel", 0.25, "2026-11-18T09:00:00Z"),
      timeEntry(60001, "mchen", 0.5, "2026-11-18T12:00:00Z"),
    ]);
    const response = await send(closedTicket(60001), undefined, apiUrl);
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome.invitation).toMatchObject({ status: "scheduled" });
    expect(await touchesOf(outcome.workItemId)).toEqual([
      { member: "jlopez", team: "help-desk", role: "owner", minutes: null },
      { member: "jlopez", team: "help-desk", role: "time-entry", minutes: 60 },
      { member: "mchen", team: "centralized-services", role: "resource", minutes: null },
      { member: "mchen", team: "centralized-services", role: "time-entry", minutes: 30 },
      { member: "rpatel", team: "help-desk", role: "time-entry", minutes: 45 },
    ]);
    const [request] = requestsFor(60001);
    expect(request!.url.pathname).toBe("/v4_6_release/apis/3.0/time/entries");
    expect(request!.url.searchParams.get("conditions")).toBe(
      'chargeToType="ServiceTicket" AND chargeToId=60001',
    );
    expect(request!.headers.clientid).toBe(CONNECTWISE_CREDENTIALS.apiClientId);
    expect(request!.headers.authorization).toBe(
      `Basic ${Buffer.from("northwindmsp+fakePublicKey:fake-private-key").toString("base64")}`,
    );
  });

  it("time entries are read page by page", async () => {
    api.timeEntries.set(
      "ServiceTicket:60002",
      Array.from({ length: 1001 }, (_, index) =>
        timeEntry(60002, index % 2 ? "rpatel" : "jlopez", 0.25, "2026-11-18T10:00:00Z"),
      ),
    );
    const outcome = await (await send(closedTicket(60002), undefined, apiUrl)).json();
    expect(requestsFor(60002).map((r) => r.url.searchParams.get("page"))).toEqual(["1", "2"]);
    const entries = (await touchesOf(outcome.workItemId)).filter((r) => r.role === "time-entry");
    expect(entries.map((r) => [r.member, r.minutes])).toEqual([
      ["jlopez", 501 * 15],
      ["rpatel", 500 * 15],
    ]);
  });

  it("a project ticket's time entries are read as ProjectTicket; an update reads none", async () => {
    api.timeEntries.set("ProjectTicket:60003", [
      timeEntry(60003, "akim", 2, "2026-11-18T10:00:00Z"),
    ]);
    const closed = await (
      await send(
        closedTicket(60003, (e) => {
          e.recordType = "ProjectTicket";
        }),
        undefined,
        apiUrl,
      )
    ).json();
    expect(await touchesOf(closed.workItemId)).toContainEqual({
      member: "akim",
      team: "help-desk",
      role: "time-entry",
      minutes: 120,
    });
    const update = await send(
      closedTicket(60004, (e) => {
        e.closedFlag = false;
        e.status = { id: 1, name: "In Progress" };
      }),
      undefined,
      apiUrl,
    );
    expect(update.status).toBe(202);
    expect(requestsFor(60004)).toEqual([]);
  });

  it("ConnectWise's API failing is a 502 so ConnectWise retries, and nothing is kept", async () => {
    const before = await counts();
    api.failWith(503);
    try {
      const response = await send(closedTicket(60005), undefined, apiUrl);
      expect(response.status).toBe(502);
    } finally {
      api.failWith(undefined);
    }
    expect(await counts()).toEqual(before);
    // The retry, with the API back, records the close.
    expect((await send(closedTicket(60005), undefined, apiUrl)).status).toBe(202);
  });

  it("credentials without the API site are a 400 naming integration.baseUrl, kept as a dead letter", async () => {
    const created = await t.request("/v1/integrations", {
      key: await t.key("admin"),
      json: {
        vendor: "connectwise",
        name: "ConnectWise without site",
        boardTeams: { "Help Desk": "help-desk" },
        secrets: CONNECTWISE_CREDENTIALS,
      },
    });
    const target = `/v1/webhooks/connectwise/${(await created.json()).id}`;
    const response = await send(closedTicket(60006), undefined, target);
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("integration.baseUrl");
    expect(response.headers.get("x-dead-letter-id")).toBeTruthy();
  });
});
