import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { responses, workItems } from "../src/db/schema/index.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createMember,
  createResponse,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
} from "./support/factories.ts";

let t: TestApp;
let key: string;
let survey: Awaited<ReturnType<typeof createSurvey>>;
let client: Awaited<ReturnType<typeof createClient>>;
let item: Awaited<ReturnType<typeof createWorkItem>>;
const teams: Array<Awaited<ReturnType<typeof createTeam>>> = [];
const members: Array<Awaited<ReturnType<typeof createMember>>> = [];

beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("responses:read");
  const db = t.ctx.db;
  survey = await createSurvey(db, { scale: "nps" });
  client = await createClient(db);
  item = await createWorkItem(db, {
    clientId: client.id,
    board: "Help, Desk",
    reference: "T20261118.0042",
  });
  teams.push(await createTeam(db), await createTeam(db));
  members.push(await createMember(db), await createMember(db));
  await createTouch(db, {
    workItemId: item.id,
    memberId: members[0]!.id,
    teamId: teams[0]!.id,
    minutes: 30,
  });
  await createTouch(db, {
    workItemId: item.id,
    memberId: members[1]!.id,
    teamId: teams[1]!.id,
    minutes: 10,
  });
});
afterAll(() => t.close());

let made = 0;
async function newResponse(overrides: Partial<Parameters<typeof createResponse>[1]> = {}) {
  made += 1;
  return createResponse(t.ctx.db, {
    surveyId: survey.id,
    clientId: client.id,
    workItemId: item.id,
    scale: "nps",
    score: made % 11,
    comment: made === 1 ? '=HYPERLINK("x"), said "hi"\nbye' : null,
    ...overrides,
  });
}

interface Page {
  data: Array<{
    id: string;
    score: number;
    workItem: { externalId: string; reference: string | null; board: string | null } | null;
    attribution: Array<{ team: string; member: string; weight: number }>;
  }>;
  nextCursor: string;
  hasMore: boolean;
}

async function page(query: string): Promise<Page> {
  const response = await t.request(`/v1/responses?${query}`, { key });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Page;
}

describe("the attributed-score feed", () => {
  it("serves every response exactly once across pages while new ones arrive", async () => {
    for (let i = 0; i < 7; i++) await newResponse();
    const seen: string[] = [];
    let cursor = "";
    for (let round = 0; round < 20; round++) {
      const result = await page(`limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...result.data.map((r) => r.id));
      cursor = result.nextCursor;
      // New responses land while the client pages, some with an older timestamp.
      if (round < 4) await newResponse({ updatedAt: new Date("2020-01-01T00:00:00Z") });
      if (!result.hasMore && round >= 4) break;
    }
    const all = await t.ctx.db.select({ id: responses.id }).from(responses);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(all.map((r) => r.id).sort());
    // Nothing new: the kept cursor answers an empty page.
    expect((await page(`cursor=${cursor}`)).data).toEqual([]);
  });

  it("a changed response comes again after the kept cursor, with its new score", async () => {
    const first = await page("limit=1000");
    const [one] = first.data;
    await t.ctx.db
      .update(responses)
      .set({ score: 10, updatedAt: t.clock.now() })
      .where(eq(responses.id, one!.id));
    const later = await page(`cursor=${first.nextCursor}`);
    expect(later.data.map((r) => [r.id, r.score])).toEqual([[one!.id, 10]]);
  });

  it("a response names its work item by id and by the number people know it by", async () => {
    const { data } = await page("limit=1");
    expect(data[0]!.workItem).toMatchObject({
      externalId: item.externalId,
      reference: "T20261118.0042",
    });
  });

  it("attribution lists each member and team that touched the item with minute shares", async () => {
    const { data } = await page("limit=1");
    expect(data[0]!.attribution).toEqual(
      [
        { team: teams[0]!.key, member: members[0]!.externalId, weight: 0.75 },
        { team: teams[1]!.key, member: members[1]!.externalId, weight: 0.25 },
      ].sort((a, b) => a.team.localeCompare(b.team)),
    );
    // A late time entry by a third pair moves the shares.
    await createTouch(t.ctx.db, {
      workItemId: item.id,
      memberId: members[0]!.id,
      teamId: teams[1]!.id,
      minutes: 40,
    });
    const after = (await page("limit=1")).data[0]!.attribution;
    expect(after.reduce((sum, a) => sum + a.weight, 0)).toBeCloseTo(1, 12);
    expect(after).toContainEqual({
      team: teams[1]!.key,
      member: members[0]!.externalId,
      weight: 0.5,
    });
  });

  it("takes back the cursor of a first page asked with a very precise updatedSince", async () => {
    const first = await t.request(
      "/v1/responses?updatedSince=2000-01-01T00:00:00.123456789Z&limit=1",
      { key },
    );
    expect(first.status).toBe(200);
    const { nextCursor } = (await first.json()) as { nextCursor: string };
    const second = await t.request(`/v1/responses?cursor=${nextCursor}&limit=1`, { key });
    expect(second.status).toBe(200);
  });

  it("filters by team, state and updatedSince", async () => {
    await newResponse({ state: "quarantined" });
    const quarantined = await page("state=quarantined&limit=1000");
    expect(quarantined.data.length).toBe(1);
    const byTeam = await page(`team=${teams[0]!.key}&limit=1000`);
    const all = await page("limit=1000");
    expect(byTeam.data.length).toBe(all.data.length);
    const otherTeam = await createTeam(t.ctx.db);
    expect((await page(`team=${otherTeam.key}`)).data).toEqual([]);
    // A filter given empty selects nothing, whichever it is.
    for (const empty of ["board=", "board=,", "state=", "state=,", "team=", "survey=", "client="]) {
      expect((await page(`${empty}&limit=1000`)).data, empty).toEqual([]);
    }
    const since = await page("updatedSince=2019-12-31T00:00:00Z&limit=1000");
    const recent = await page("updatedSince=2021-01-01T00:00:00Z&limit=1000");
    expect(since.data.length - recent.data.length).toBe(4); // the four written with 2020 timestamps
  });

  it("Accept: text/csv gives the same rows as CSV with attribution flattened", async () => {
    const json = await page("limit=1000");
    const response = await t.request("/v1/responses?limit=1000", {
      key,
      headers: { accept: "text/csv" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    expect(response.headers.get("x-has-more")).toBe("false");
    const text = await response.text();
    const [header] = text.split("\r\n");
    expect(header).toBe(
      "id,survey,scale,score,state,comment,contact_id,client,work_item,work_item_kind,board,source,responded_at,created_at,updated_at,teams,members,attribution",
    );
    for (const row of json.data)
      expect(text).toContain(`${row.id},${survey.key},nps,${row.score},`);
    // A comment with a formula, quotes, a comma and a line break stays one safe, quoted cell.
    expect(text).toContain('"\'=HYPERLINK(""x""), said ""hi""\nbye"');
    expect(text).toContain('"Help, Desk"');
    expect(text).toContain(`${teams[0]!.key}/${members[0]!.externalId}=`);
  });
});

describe("the feed under concurrent writers (PostgreSQL)", () => {
  it("a response committed late with an older timestamp is not skipped", async (context) => {
    const url = (t.services.database as { url?: string }).url;
    if (!url) return context.skip();
    const other = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const start = await page("limit=1000");
      let cursor = start.nextCursor;
      const seen: string[] = [];
      // A writer's transaction takes its timestamp now and commits only after others.
      const reserved = other.reserve();
      const writer = await reserved;
      await writer`begin`;
      const [late] =
        await writer`insert into responses (survey_id, client_id, work_item_id, scale, score, responded_at, final_at, updated_at)
        values (${survey.id}, ${client.id}, ${item.id}, 'nps', 9, now(), now(), now() - interval '1 day') returning id`;
      const quick = await newResponse({ workItemId: null });
      let result = await page(`cursor=${cursor}`);
      seen.push(...result.data.map((r) => r.id));
      cursor = result.nextCursor;
      await writer`commit`;
      writer.release();
      result = await page(`cursor=${cursor}`);
      seen.push(...result.data.map((r) => r.id));
      expect(seen).toEqual([quick.id, late!.id]);
    } finally {
      await other.end();
    }
  });

  it("a late touch still brings the item's response again when a change held it and rolled back", async (context) => {
    const url = (t.services.database as { url?: string }).url;
    if (!url) return context.skip();
    const db = t.ctx.db;
    const own = await createWorkItem(db, { clientId: client.id });
    await createTouch(db, { workItemId: own.id, memberId: members[0]!.id, teamId: teams[0]!.id });
    const answer = await newResponse({ workItemId: own.id });
    const first = await page("limit=1000");
    expect(first.data.map((r) => r.id)).toContain(answer.id);
    const other = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const writer = await other.reserve();
      // A change of the response (a comment being posted) holds its feed position...
      await writer`begin`;
      await writer`update responses set comment = 'typing' where id = ${answer.id}`;
      // ... while a late time entry by another team commits, and the feed is numbered.
      await createTouch(db, { workItemId: own.id, memberId: members[1]!.id, teamId: teams[1]!.id });
      await page(`cursor=${first.nextCursor}`);
      // The change fails.
      await writer`rollback`;
      writer.release();
      const again = (await page(`cursor=${first.nextCursor}`)).data.find((r) => r.id === answer.id);
      expect(again?.attribution.map((line) => line.team).sort()).toEqual(
        [teams[0]!.key, teams[1]!.key].sort(),
      );
    } finally {
      await other.end();
    }
  });
});

describe("the feed after attribution changes", () => {
  it("a late touch or a board change brings the item's responses again, with the new attribution", async () => {
    const db = t.ctx.db;
    const lateItem = await createWorkItem(db, { clientId: client.id, board: "Help, Desk" });
    const desk = await createTeam(db);
    const projects = await createTeam(db);
    const alice = await createMember(db);
    const bob = await createMember(db);
    await createTouch(db, {
      workItemId: lateItem.id,
      memberId: alice.id,
      teamId: desk.id,
      minutes: 30,
    });
    const answer = await newResponse({ workItemId: lateItem.id });
    const first = await page("limit=1000");
    expect(first.data.find((r) => r.id === answer.id)?.attribution).toEqual([
      { team: desk.key, member: alice.externalId, weight: 1 },
    ]);

    // A late time entry: projects now has three quarters of the item's minutes.
    await createTouch(db, {
      workItemId: lateItem.id,
      memberId: bob.id,
      teamId: projects.id,
      minutes: 90,
    });
    const later = await page(`cursor=${first.nextCursor}`);
    expect(later.data.map((r) => r.id)).toEqual([answer.id]);
    expect(later.data[0]!.attribution).toContainEqual({
      team: projects.key,
      member: bob.externalId,
      weight: 0.75,
    });

    await db.update(workItems).set({ board: "Onsite" }).where(eq(workItems.id, lateItem.id));
    const moved = await page(`cursor=${later.nextCursor}`);
    expect(moved.data.map((r) => [r.id, r.workItem?.board])).toEqual([[answer.id, "Onsite"]]);
    // Nothing else changed: the kept cursor answers an empty page.
    expect((await page(`cursor=${moved.nextCursor}`)).data).toEqual([]);
    // The feed's newest entry changed again: it comes again too (numbers only ever grow).
    await db
      .update(responses)
      .set({ score: 9, updatedAt: t.clock.now() })
      .where(eq(responses.id, answer.id));
    const again = await page(`cursor=${moved.nextCursor}`);
    expect(again.data.map((r) => [r.id, r.score])).toEqual([[answer.id, 9]]);
  });

  it("a sync started with updatedSince still gets later attribution and board changes of older responses", async () => {
    const db = t.ctx.db;
    const own = await createClient(db);
    const oldItem = await createWorkItem(db, { clientId: own.id, board: "Help Desk" });
    const desk = await createTeam(db);
    const projects = await createTeam(db);
    const alice = await createMember(db);
    const bob = await createMember(db);
    await createTouch(db, { workItemId: oldItem.id, memberId: alice.id, teamId: desk.id });
    const old = new Date("2020-06-01T00:00:00Z");
    const answer = await newResponse({
      clientId: own.id,
      workItemId: oldItem.id,
      updatedAt: old,
      createdAt: old,
    });
    await newResponse({ clientId: own.id, workItemId: null, updatedAt: old });
    // The sync starts after both responses' last update: nothing to hand out yet.
    const first = await page(`client=${own.externalId}&updatedSince=2021-01-01T00:00:00Z`);
    expect(first.data).toEqual([]);

    // A late time entry changes the older response's attribution, not its updatedAt.
    await createTouch(db, { workItemId: oldItem.id, memberId: bob.id, teamId: projects.id });
    const later = await page(`client=${own.externalId}&cursor=${first.nextCursor}`);
    expect(later.data.map((r) => r.id)).toEqual([answer.id]);
    expect(later.data[0]!.attribution.map((a) => a.team).sort()).toEqual(
      [desk.key, projects.key].sort(),
    );

    await db.update(workItems).set({ board: "Onsite" }).where(eq(workItems.id, oldItem.id));
    const moved = await page(`client=${own.externalId}&cursor=${later.nextCursor}`);
    expect(moved.data.map((r) => [r.id, r.workItem?.board])).toEqual([[answer.id, "Onsite"]]);
    // The unchanged older response never comes; nothing else is left.
    const rest = await page(`client=${own.externalId}&cursor=${moved.nextCursor}`);
    expect(rest.data).toEqual([]);
  });

  it("a kept cursor handed out before syncs remembered their start still brings attribution changes", async () => {
    const db = t.ctx.db;
    const own = await createClient(db);
    const oldItem = await createWorkItem(db, { clientId: own.id });
    const team = await createTeam(db);
    const member = await createMember(db);
    const old = new Date("2020-06-01T00:00:00Z");
    const answer = await newResponse({ clientId: own.id, workItemId: oldItem.id, updatedAt: old });
    const done = await page(`client=${own.externalId}&limit=1000`);
    expect(done.hasMore).toBe(false);
    // The same position, as a cursor of an updatedSince sync used to carry it.
    const { seq } = JSON.parse(Buffer.from(done.nextCursor, "base64url").toString("utf8"));
    const kept = Buffer.from(JSON.stringify({ seq, since: "2021-01-01T00:00:00Z" })).toString(
      "base64url",
    );
    expect((await page(`client=${own.externalId}&cursor=${kept}`)).data).toEqual([]);
    await createTouch(db, { workItemId: oldItem.id, memberId: member.id, teamId: team.id });
    const later = await page(`client=${own.externalId}&cursor=${kept}`);
    expect(later.data.map((r) => r.id)).toEqual([answer.id]);
  });
});
