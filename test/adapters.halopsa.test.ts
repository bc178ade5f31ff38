import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../src/db/client.ts";
import { events, invitations, workItems } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { haloTicketClosed } from "./support/halopsa-sample.ts";

let t: TestApp;
let basicUrl: string;
let bearerUrl: string;
const BASIC = `Basic ${Buffer.from("rapport:halo-basic-password").toString("base64")}`;
const BEARER = "Bearer halo-bearer-token-value";

/** A ticket action webhook shaped after HaloPSA's outbound webhooks. */
function halo(
  id: number,
  edit: (body: {
    ticket: Record<string, unknown>;
    action: Record<string, unknown>;
  }) => void = () => {},
) {
  return haloTicketClosed(id, { edit });
}

beforeAll(async () => {
  t = await createTestApp();
  const admin = await t.key("admin");
  const make = async (secrets: Record<string, string>) => {
    const response = await t.request("/v1/integrations", {
      key: admin,
      json: {
        vendor: "halopsa",
        name: "Halo",
        boardTeams: { "1st Line Support": "help-desk" },
        settings: { memberTeams: { "12": "centralized-services" } },
        secrets,
      },
    });
    return (await response.json()).id as string;
  };
  basicUrl = `/v1/webhooks/halopsa?integration=${await make({ basicUsername: "rapport", basicPassword: "halo-basic-password" })}`;
  bearerUrl = `/v1/webhooks/halopsa/${await make({ bearerToken: "halo-bearer-token-value" })}`;
});
afterAll(() => t.close());

function send(url: string, body: string, authorization: string | undefined) {
  return t.request(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
  });
}

async function eventCount() {
  const [row] = await queryRows<{ n: number }>(
    t.ctx.db,
    sql`select count(*)::int as n from ${events}`,
  );
  return row!.n;
}

describe("HaloPSA webhooks", () => {
  it("a Closed action with Basic credentials records the ticket, the agent and the action's time", async () => {
    const response = await send(basicUrl, halo(1001), BASIC);
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome).toMatchObject({ status: "ingested", touchesRecorded: 2 });
    expect(outcome.invitation).toMatchObject({ status: "scheduled" });
    const rows = await queryRows<{
      member: string;
      team: string;
      role: string;
      minutes: number | null;
    }>(
      t.ctx.db,
      sql`select m.external_id as member, tm.key as team, t.role, t.minutes from touches t
          join members m on m.id = t.member_id join teams tm on tm.id = t.team_id
          where t.work_item_id = ${outcome.workItemId} order by m.external_id`,
    );
    expect(rows).toEqual([
      { member: "12", team: "centralized-services", role: "time-entry", minutes: 30 },
      { member: "7", team: "help-desk", role: "owner", minutes: null },
    ]);
  });

  it("an action by no agent (who_agentid 0: the end user, an automation) credits nobody", async () => {
    const response = await send(
      basicUrl,
      halo(1030, (b) => {
        b.action.who_agentid = 0;
        b.action.who = "Client Contact";
        b.ticket.agent_id = 0;
      }),
      BASIC,
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: "ingested", touchesRecorded: 0 });
    const [row] = await queryRows<{ n: number }>(
      t.ctx.db,
      sql`select count(*)::int as n from members where external_id in ('0', '1')`,
    );
    expect(row!.n).toBe(0);
  });

  it("a bearer-token integration accepts its token, path variant of the URL", async () => {
    const response = await send(bearerUrl, halo(1002), BEARER);
    expect(response.status).toBe(202);
  });

  it("a Resolved outcome closes the ticket even while the status is open", async () => {
    const response = await send(
      basicUrl,
      halo(1003, (b) => {
        b.ticket.status_id = 2;
        b.action.outcome = "Resolved";
      }),
      BASIC,
    );
    const outcome = await response.json();
    const [stored] = await t.ctx.db.select().from(events).where(eq(events.id, outcome.eventId));
    expect(stored!.type).toBe("ticket.closed");
  });

  it("dates Halo writes as 1900-01-01 (its empty date) are not set", async () => {
    const response = await send(
      basicUrl,
      halo(1020, (b) => {
        b.ticket.datecleared = "1900-01-01T00:00:00";
        b.ticket.responsedate = "1900-01-01T00:00:00";
      }),
      BASIC,
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    // The close takes the action's time instead.
    expect(item!.closedAt!.getUTCFullYear()).toBeGreaterThan(2000);
    expect(item!.firstResponseAt).toBeNull();
  });

  it("a note on an open ticket is an update without a survey", async () => {
    const response = await send(
      basicUrl,
      halo(1004, (b) => {
        b.ticket.status_id = 2;
        delete b.ticket.datecleared;
        b.action.outcome = "Note";
      }),
      BASIC,
    );
    expect(response.status).toBe(202);
    const outcome = await response.json();
    expect(outcome.invitation).toBeNull();
    const [item] = await t.ctx.db
      .select()
      .from(workItems)
      .where(eq(workItems.id, outcome.workItemId));
    expect(item!.status).toBe("open");
    // HaloPSA shows the ticket id as its number.
    expect(item!.reference).toBe("1004");
  });

  it("three deliveries of one webhook schedule one invitation", async () => {
    const body = halo(1005);
    const outcomes = await Promise.all(
      [1, 2, 3].map(async () => (await send(basicUrl, body, BASIC)).json()),
    );
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    expect(
      await t.ctx.db
        .select()
        .from(invitations)
        .where(eq(invitations.workItemId, outcomes[0].workItemId)),
    ).toHaveLength(1);
  });

  it("time logged on a closed ticket after its close is recorded, the survey not sent again", async () => {
    const closed = await (await send(basicUrl, halo(1010), BASIC)).json();
    const late = halo(1010, (b) => {
      b.action = {
        id: 5002,
        ticket_id: 1010,
        outcome: "Note",
        who: "Sam",
        who_agentid: 15,
        timetaken: 0.75,
        datetime: "2026-11-18T17:10:00Z",
      };
    });
    const outcome = await (await send(basicUrl, late, BASIC)).json();
    expect(outcome).toMatchObject({ duplicate: false, touchesRecorded: 1 });
    expect(outcome.workItemId).toBe(closed.workItemId);
    expect(outcome.invitation).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    const [touch] = await queryRows<{ role: string; minutes: number | null }>(
      t.ctx.db,
      sql`select t.role, t.minutes from touches t join members m on m.id = t.member_id
          where t.work_item_id = ${closed.workItemId} and m.external_id = '15'`,
    );
    expect(touch).toEqual({ role: "time-entry", minutes: 45 });
    // The vendor retrying that callback is still one event.
    expect((await (await send(basicUrl, late, BASIC)).json()).duplicate).toBe(true);
  });

  it("an unmapped team is a 400 naming ticket.team", async () => {
    const response = await send(
      basicUrl,
      halo(1006, (b) => {
        b.ticket.team = "Field Engineers";
      }),
      BASIC,
    );
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("ticket.team");
  });

  it("wrong, missing or other-integration credentials are a 401 and record nothing", async () => {
    const before = await eventCount();
    const wrong = `Basic ${Buffer.from("rapport:guess").toString("base64")}`;
    for (const authorization of [wrong, undefined, BEARER, "Bearer "]) {
      const response = await send(basicUrl, halo(1007), authorization);
      expect(response.status).toBe(401);
    }
    expect((await send(bearerUrl, halo(1007), BASIC)).status).toBe(401);
    expect(await eventCount()).toBe(before);
  });

  it("invalid JSON with good credentials is kept as a dead letter naming the body", async () => {
    const response = await send(basicUrl, "{not json", BASIC);
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("(body)");
    expect(response.headers.get("x-dead-letter-id")).toBeTruthy();
  });
});
