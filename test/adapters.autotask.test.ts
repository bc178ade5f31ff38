import { readFileSync } from "node:fs";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../src/db/client.ts";
import { contacts, deadLetters, events, invitations, workItems } from "../src/db/schema/index.ts";
import { composeEmails } from "../src/delivery/compose.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import {
  AUTOTASK_CREDENTIALS,
  autotaskIntegration,
  autotaskSignature,
  type FakeAutotask,
  startFakeAutotask,
} from "./support/fake-autotask.ts";

const fixture = JSON.parse(
  readFileSync(
    new URL("../../shared/fixtures/psa/autotask-ticket-completed.json", import.meta.url),
    "utf8",
  ),
) as { Id: number; Fields: Record<string, string> } & Record<string, unknown>;
const SECRET_KEY = "autotask-webhook-secret-key";

let t: TestApp;
let autotask: FakeAutotask;
let url: string;
let integrationId: string;

beforeAll(async () => {
  autotask = await startFakeAutotask();
  // The fake Autotask zone is on loopback.
  t = await createTestApp({ OUTBOUND_ALLOW_PRIVATE: "true" });
  const created = await t.request("/v1/integrations", {
    key: await t.key("admin"),
    json: autotaskIntegration(SECRET_KEY, {
      baseUrl: autotask.baseUrl,
      statusMap: { "13": "ignore" },
    }),
  });
  integrationId = (await created.json()).id;
  url = `/v1/webhooks/autotask?integration=${integrationId}`;
});
afterAll(async () => {
  await t.close();
  await autotask.close();
});

function delivery(edit: (payload: typeof fixture) => void = () => {}): string {
  const payload = structuredClone(fixture);
  edit(payload);
  return JSON.stringify(payload);
}

function send(body: string, signature = autotaskSignature(SECRET_KEY, body)) {
  return t.request(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-hook-signature": signature },
  });
}

async function eventCount() {
  const [row] = await queryRows<{ n: number }>(
    t.ctx.db,
    sql`select count(*)::int as n from ${events}`,
  );
  return row!.n;
}

describe("Autotask ticket webhooks", () => {
  it("the fixture's completed ticket is a close with contact, company and resource from the REST API", async () => {
    const response = await send(delivery());
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome).toMatchObject({ status: "ingested", duplicate: false, touchesRecorded: 1 });
    expect(outcome.invitation).toMatchObject({ status: "scheduled" });
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item).toMatchObject({ externalId: "351182", status: "closed", board: "8" });
    const [contact] = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.externalId, "30712"));
    expect(contact).toMatchObject({
      email: "dana.whitfield@harbourlaw.example",
      name: "Dana Whitfield",
    });
    const [member] = await queryRows<{ name: string; team: string }>(
      t.ctx.db,
      sql`select m.name, tm.key as team from touches t join members m on m.id = t.member_id
          join teams tm on tm.id = t.team_id where t.work_item_id = ${outcome.workItemId}`,
    );
    expect(member).toEqual({ name: "Sam Okafor", team: "help-desk" });
    const lookup = autotask.requests.find((r) => r.path.endsWith("/Contacts/30712"));
    expect(lookup?.headers.apiintegrationcode).toBe(AUTOTASK_CREDENTIALS.apiIntegrationCode);
  });

  it("the survey email names the ticket number the client knows, not Autotask's id", async () => {
    autotask.records.Contacts.set("30811", {
      id: 30811,
      firstName: "Lena",
      lastName: "Vogt",
      emailAddress: "lena.vogt@harbourlaw.example",
    });
    const response = await send(
      delivery((p) => {
        p.Id = 360010;
        p.Fields.ContactID = "30811";
      }),
    );
    const outcome = await response.json();
    expect(outcome.invitation).toMatchObject({ status: "scheduled" });
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item).toMatchObject({ externalId: "360010", reference: "T20261118.0042" });
    const [email] = await composeEmails({
      ctx: t.ctx,
      input: { kind: "survey", invitationIds: [outcome.invitation.id] },
    });
    expect(email!.subject).toBe("How did we do on ticket #T20261118.0042?");
    expect(email!.text).not.toContain("360010");
  });

  it("three concurrent deliveries make one work item and one invitation", async () => {
    autotask.records.Contacts.set("30801", {
      id: 30801,
      firstName: "Ola",
      lastName: "Berg",
      emailAddress: "ola.berg@harbourlaw.example",
    });
    const body = delivery((p) => {
      p.Id = 360001;
      p.Fields.ContactID = "30801";
    });
    const answers = await Promise.all([send(body), send(body), send(body)]);
    const outcomes = await Promise.all(answers.map((r) => r.json()));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    const items = await t.ctx.db.select().from(workItems).where(eq(workItems.externalId, "360001"));
    expect(items).toHaveLength(1);
    expect(
      await t.ctx.db.select().from(invitations).where(eq(invitations.workItemId, items[0]!.id)),
    ).toHaveLength(1);
  });

  it("the person who made the change counts as a touch whether Autotask spells it PersonId or PersonID", async () => {
    autotask.records.Resources.set("29683001", {
      id: 29683001,
      firstName: "Lena",
      lastName: "Voss",
      email: "lena.voss@northwind.example",
    });
    const response = await send(
      delivery((p) => {
        p.Id = 360011;
        delete p.PersonId;
        p.PersonID = 29683001;
      }),
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome.touchesRecorded).toBe(2);
    const names = await queryRows<{ name: string }>(
      t.ctx.db,
      sql`select m.name from touches t join members m on m.id = t.member_id
          where t.work_item_id = ${outcome.workItemId} order by m.name`,
    );
    expect(names.map((row) => row.name)).toEqual(["Lena Voss", "Sam Okafor"]);
  });

  it("a delivery carrying only the changed Status is completed from the ticket Autotask has", async () => {
    autotask.records.Contacts.set("30802", {
      id: 30802,
      firstName: "Ines",
      lastName: "Moreau",
      emailAddress: "ines.moreau@harbourlaw.example",
    });
    autotask.records.Tickets.set("360020", {
      id: 360020,
      ticketNumber: "T20261118.0077",
      title: "Scanner does not send to email",
      status: 5,
      queueID: 8,
      companyID: 29684,
      contactID: 30802,
      assignedResourceID: 29682931,
      createDate: "2026-11-17T08:15:00Z",
      completedDate: "2026-11-18T16:20:00Z",
    });
    const response = await send(
      JSON.stringify({
        Action: "Update",
        EntityType: "Ticket",
        Id: 360020,
        Fields: { Status: "5" },
        EventTime: "2026-11-18T16:20:01.500Z",
        PersonId: 29682931,
      }),
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome).toMatchObject({ status: "ingested", touchesRecorded: 1 });
    expect(outcome.invitation).toMatchObject({ status: "scheduled" });
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item).toMatchObject({
      externalId: "360020",
      status: "closed",
      board: "8",
      summary: "Scanner does not send to email",
    });
    expect(item!.closedAt?.toISOString()).toBe("2026-11-18T16:20:00.000Z");
    expect(item!.openedAt?.toISOString()).toBe("2026-11-17T08:15:00.000Z");
  });

  it("a delivery with every field the event needs reads no ticket from Autotask", async () => {
    const before = autotask.requests.length;
    const response = await send(
      delivery((p) => {
        p.Id = 360021;
      }),
    );
    expect(response.status).toBe(202);
    const lookups = autotask.requests.slice(before).map((r) => r.path);
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.filter((path) => path.includes("/Tickets/"))).toEqual([]);
  });

  it("a partial delivery about a ticket Autotask does not know is a 400 naming Id", async () => {
    const response = await send(
      JSON.stringify({
        Action: "Update",
        EntityType: "Ticket",
        Id: 360022,
        Fields: { Status: "5" },
        EventTime: "2026-11-18T16:20:01Z",
      }),
    );
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("Id");
    expect(response.headers.get("x-dead-letter-id")).toBeTruthy();
  });

  it("a status that is not Complete records an update without a survey", async () => {
    const response = await send(
      delivery((p) => {
        p.Id = 360002;
        p.Fields.Status = "8";
        delete p.Fields.CompletedDate;
      }),
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome.invitation).toBeNull();
    const [stored] = await t.ctx.db.select().from(events).where(eq(events.id, outcome.eventId));
    expect(stored!.type).toBe("ticket.updated");
  });

  it("a status mapped to ignore is acknowledged and records nothing", async () => {
    const before = await eventCount();
    const response = await send(
      delivery((p) => {
        p.Fields.Status = "13";
      }),
    );
    expect(response.status).toBe(202);
    expect((await response.json()).status).toBe("ignored");
    expect(await eventCount()).toBe(before);
  });

  it("a contact without an email is recorded and no survey is scheduled", async () => {
    autotask.records.Contacts.set("30999", { id: 30999, firstName: "No", lastName: "Mail" });
    const response = await send(
      delivery((p) => {
        p.Id = 360003;
        p.Fields.ContactID = "30999";
      }),
    );
    expect(response.status).toBe(202);
    expect((await response.json()).invitation).toMatchObject({
      status: "skipped",
      reason: "no_email",
    });
  });

  it("an unmapped queue is a 400 naming Fields.QueueID and kept as a dead letter", async () => {
    const response = await send(
      delivery((p) => {
        p.Id = 360004;
        p.Fields.QueueID = "29";
      }),
    );
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("Fields.QueueID");
    const [letter] = await t.ctx.db
      .select()
      .from(deadLetters)
      .where(eq(deadLetters.id, response.headers.get("x-dead-letter-id")!));
    expect(letter?.field).toBe("Fields.QueueID");
    expect(Object.keys(letter!.headers)).not.toContain("x-hook-signature");
  });

  it("a contact Autotask does not know is a 400 naming Fields.ContactID", async () => {
    const response = await send(
      delivery((p) => {
        p.Id = 360005;
        p.Fields.ContactID = "404404";
      }),
    );
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("Fields.ContactID");
  });

  it("Autotask failing is a 502 so Autotask retries, and nothing is kept", async () => {
    const before = await eventCount();
    const letters = (await t.ctx.db.select().from(deadLetters)).length;
    autotask.failWith(503);
    try {
      const response = await send(
        delivery((p) => {
          p.Id = 360006;
        }),
      );
      expect(response.status).toBe(502);
    } finally {
      autotask.failWith(undefined);
    }
    expect(await eventCount()).toBe(before);
    expect(await t.ctx.db.select().from(deadLetters)).toHaveLength(letters);
    // The API description declares it, for the webhooks and for replaying a dead letter.
    const { paths } = await (await t.request("/openapi.json")).json();
    for (const [path, method] of [
      ["/v1/webhooks/autotask", "post"],
      ["/v1/webhooks/autotask/{integration}", "post"],
      ["/v1/webhooks/connectwise", "post"],
      ["/v1/dead-letters/{id}/replay", "post"],
    ]) {
      expect(Object.keys(paths[path!][method!].responses), path).toContain("502");
    }
  });

  it("a bad signature is a 401 and records nothing, not even a look-up", async () => {
    const before = await eventCount();
    const lookups = autotask.requests.length;
    const body = delivery((p) => {
      p.Id = 360007;
    });
    for (const signature of [autotaskSignature("wrong-key", body), "", body]) {
      const response = await send(body, signature);
      expect(response.status).toBe(401);
    }
    expect(await eventCount()).toBe(before);
    expect(autotask.requests.length).toBe(lookups);
  });

  it("a body over the size limit is a 413", async () => {
    const body = delivery((p) => {
      p.Fields.Title = "x".repeat(t.config.BODY_LIMIT_BYTES);
    });
    expect((await send(body)).status).toBe(413);
  });
});

describe("Autotask tickets with less than the fixture", () => {
  const members = (workItemId: string) =>
    queryRows<{ member: string; role: string; team: string }>(
      t.ctx.db,
      sql`select m.external_id as member, t.role, tm.key as team from touches t
          join members m on m.id = t.member_id join teams tm on tm.id = t.team_id
          where t.work_item_id = ${workItemId} order by m.external_id`,
    );

  it("an assigned resource the REST API does not return still touched the ticket", async () => {
    const response = await send(
      delivery((p) => {
        p.Id = 880001;
        p.Fields.AssignedResourceID = "29680555"; // not among the fake's resources
        p.PersonId = 29680555;
      }),
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(await members(outcome.workItemId)).toEqual([
      { member: "29680555", role: "owner", team: "help-desk" },
    ]);
  });

  it("a ticket without a queue takes its resource's own team, which an admin can give it", async () => {
    const noQueue = delivery((p) => {
      p.Id = 880002;
      p.Fields.QueueID = "";
    });
    const refused = await send(noQueue);
    expect(refused.status).toBe(400);
    expect((await refused.json()).detail).toContain("settings.memberTeams");
    const admin = await t.key("admin");
    const patched = await t.request(`/v1/integrations/${integrationId}`, {
      key: admin,
      method: "PATCH",
      json: { settings: { memberTeams: { "29682931": "centralized-services" } } },
    });
    expect(patched.status).toBe(200);
    try {
      const response = await send(noQueue);
      expect(response.status).toBe(202);
      const outcome = await response.json();
      expect(await members(outcome.workItemId)).toEqual([
        { member: "29682931", role: "owner", team: "centralized-services" },
      ]);
    } finally {
      await t.request(`/v1/integrations/${integrationId}`, {
        key: admin,
        method: "PATCH",
        json: { settings: {} },
      });
    }
  });
});
