import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followups, touches, webhookDeliveries } from "../src/db/schema/index.ts";
import { composeDigest } from "../src/digests/compose.ts";
import { followupOverdueJob } from "../src/followups/overdue-job.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  changeResponse,
  createMember,
  createSurveyedWork,
  createTeam,
  createTouch,
  recordAnswer,
} from "./support/factories.ts";

let t: TestApp;
let reader: string;
beforeAll(async () => {
  t = await createTestApp();
  reader = await t.key("responses:read");
});
afterAll(() => t.close());

async function answer(scale: "csat3" | "csat5" | "nps", score: number, state?: "quarantined") {
  return recordAnswer(t.ctx, {
    scale,
    score,
    comment: "The printer still does not work",
    ...(state ? { state } : {}),
  });
}

async function casesOf(responseId: string) {
  return t.ctx.db.select().from(followups).where(eq(followups.responseId, responseId));
}

describe("an unhappy answer opens a follow-up", () => {
  it.each([
    ["csat3", 1],
    ["csat5", 2],
    ["csat5", 1],
    ["nps", 6],
    ["nps", 0],
  ] as const)(
    "%s score %i opens a case crediting the work item's teams and members",
    async (scale, score) => {
      const { work, response } = await answer(scale, score);
      const [opened] = await casesOf(response.id);
      expect(opened?.state).toBe("open");
      const reply = await t.request(`/v1/followups/${opened!.id}`, { key: reader });
      expect(reply.status).toBe(200);
      const body = await reply.json();
      expect(body).toMatchObject({
        state: "open",
        overdue: false,
        responseId: response.id,
        workItemId: work.workItem.id,
        clientId: work.client.id,
        response: { scale, score, comment: "The printer still does not work" },
        owner: null,
        notes: [],
      });
      expect(body.teams.map((team: { key: string }) => team.key).sort()).toEqual(
        [work.teamA.key, work.teamB.key].sort(),
      );
      expect(body.members.map((member: { id: string }) => member.id).sort()).toEqual(
        [work.memberA.id, work.memberB.id].sort(),
      );
    },
  );

  it.each([
    ["csat3", 2],
    ["csat3", 3],
    ["csat5", 3],
    ["nps", 7],
    ["nps", 10],
  ] as const)("%s score %i opens nothing", async (scale, score) => {
    const { response } = await answer(scale, score);
    expect(await casesOf(response.id)).toEqual([]);
  });

  it("a quarantined answer opens nothing until it is recorded", async () => {
    const { response } = await answer("csat3", 1, "quarantined");
    expect(await casesOf(response.id)).toEqual([]);
    await changeResponse(t.ctx, response.id, { state: "recorded" });
    const cases = await casesOf(response.id);
    expect(cases.map((row) => row.state)).toEqual(["open"]);
  });
});

describe("a changed score moves the case", () => {
  it("a score changed to positive resolves the case with an automatic note", async () => {
    const { response } = await answer("csat3", 1);
    await changeResponse(t.ctx, response.id, { score: 3 });
    const [resolved] = await casesOf(response.id);
    expect(resolved?.state).toBe("resolved");
    const body = await (await t.request(`/v1/followups/${resolved!.id}`, { key: reader })).json();
    expect(body.resolvedAt).toBe(t.clock.now().toISOString());
    expect(body.notes).toHaveLength(1);
    expect(body.notes[0]).toMatchObject({ author: "rapport", automatic: true });
    expect(body.notes[0].body).toContain("from 1 to 3");
  });

  it("a score changed to negative opens a case, and only one however often it stays negative", async () => {
    const { response } = await answer("nps", 9);
    expect(await casesOf(response.id)).toEqual([]);
    await changeResponse(t.ctx, response.id, { score: 4 });
    await changeResponse(t.ctx, response.id, { score: 3 });
    await changeResponse(t.ctx, response.id, { comment: "Still waiting" });
    const cases = await casesOf(response.id);
    expect(cases.map((row) => row.state)).toEqual(["open"]);
  });

  it("a score negative again reopens the case rapport resolved: its owner, state and due time", async () => {
    const { response } = await answer("csat3", 1);
    const [opened] = await casesOf(response.id);
    const writer = await t.key("surveys:write");
    const ack = await t.request(`/v1/followups/${opened!.id}`, {
      key: writer,
      method: "PATCH",
      json: { owner: "dana@msp.example", state: "acknowledged" },
    });
    expect(ack.status).toBe(200);
    // A change to 3, then back to 1: a person changing their mind back, or a scanner's click
    // that its burst took back.
    await changeResponse(t.ctx, response.id, { score: 3 });
    expect((await casesOf(response.id)).map((row) => row.state)).toEqual(["resolved"]);
    t.clock.advance(60_000);
    await changeResponse(t.ctx, response.id, { score: 1 });
    const cases = await casesOf(response.id);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({
      id: opened!.id,
      state: "acknowledged",
      owner: "dana@msp.example",
      resolvedAt: null,
      dueAt: opened!.dueAt,
    });
    const body = await (await t.request(`/v1/followups/${opened!.id}`, { key: reader })).json();
    expect(body.notes.map((note: { body: string }) => note.body).at(-1)).toContain("open again");

    // A case a person resolved stays resolved: the next negative turn opens a new one.
    await t.request(`/v1/followups/${opened!.id}`, {
      key: writer,
      method: "PATCH",
      json: { state: "resolved", note: "Called back, all good" },
    });
    await changeResponse(t.ctx, response.id, { score: 3 });
    await changeResponse(t.ctx, response.id, { score: 1 });
    const after = await casesOf(response.id);
    expect(after.map((row) => row.state).sort()).toEqual(["open", "resolved"]);
  });

  it("the database refuses a second unresolved case for one response", async () => {
    const { response } = await answer("csat5", 1);
    const [opened] = await casesOf(response.id);
    await expect(
      t.ctx.db.insert(followups).values({
        responseId: response.id,
        clientId: opened!.clientId,
        openedAt: opened!.openedAt,
        dueAt: opened!.dueAt,
      }),
    ).rejects.toThrow();
  });
});

describe("listing follow-ups", () => {
  it("filters by state and team and pages with a cursor", async () => {
    const { work, response } = await answer("csat3", 1);
    const [opened] = await casesOf(response.id);
    const byTeam = await (
      await t.request(`/v1/followups?team=${work.teamB.key}&state=open`, { key: reader })
    ).json();
    expect(byTeam.data.map((row: { id: string }) => row.id)).toEqual([opened!.id]);
    const resolvedOnly = await (
      await t.request(`/v1/followups?team=${work.teamB.key}&state=resolved`, { key: reader })
    ).json();
    expect(resolvedOnly.data).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const page = await (await t.request(`/v1/followups?limit=2${query}`, { key: reader })).json();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((row: { id: string }) => row.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = await t.ctx.db.select({ id: followups.id }).from(followups);
    expect(seen.sort()).toEqual(all.map((row) => row.id).sort());
  });
});

describe("a case follows the work item's credit", () => {
  it("a team that logs time after the unhappy answer sees the case in its list, the case and its digest", async () => {
    const { work, response } = await answer("csat3", 1);
    const [opened] = await casesOf(response.id);
    // A late time entry by a third team: the metrics credit it with the answer from now on.
    const late = await createTeam(t.ctx.db);
    const lateMember = await createMember(t.ctx.db, { teamId: late.id });
    await createTouch(t.ctx.db, {
      workItemId: work.workItem.id,
      memberId: lateMember.id,
      teamId: late.id,
      role: "time-entry",
      minutes: 30,
      at: new Date("2026-11-18T18:00:00Z"),
    });

    const list = await (await t.request(`/v1/followups?team=${late.key}`, { key: reader })).json();
    expect(list.data.map((row: { id: string }) => row.id)).toEqual([opened!.id]);
    const one = await (await t.request(`/v1/followups/${opened!.id}`, { key: reader })).json();
    expect(one.teams.map((team: { key: string }) => team.key).sort()).toEqual(
      [work.teamA.key, work.teamB.key, late.key].sort(),
    );
    expect(one.members.map((member: { id: string }) => member.id).sort()).toEqual(
      [work.memberA.id, work.memberB.id, lateMember.id].sort(),
    );
    const digest = await composeDigest({
      ctx: t.ctx,
      input: {
        team: late,
        week: "2026-W47",
        from: new Date("2026-11-16T00:00:00Z"),
        to: new Date("2026-11-23T00:00:00Z"),
        previousFrom: new Date("2026-11-09T00:00:00Z"),
      },
    });
    expect(digest.followups.open).toBe(1);
    expect(digest.followups.oldest.map((followup) => followup.id)).toEqual([opened!.id]);
  });

  it("a team whose only touch moves to another work item no longer sees the case", async () => {
    const { work, response } = await answer("csat3", 1);
    const [opened] = await casesOf(response.id);
    const elsewhere = await createSurveyedWork(t.ctx.db, "csat3");
    await t.ctx.db
      .update(touches)
      .set({ workItemId: elsewhere.workItem.id })
      .where(eq(touches.memberId, work.memberB.id));
    const list = await (
      await t.request(`/v1/followups?team=${work.teamB.key}`, { key: reader })
    ).json();
    expect(list.data.map((row: { id: string }) => row.id)).not.toContain(opened!.id);
    const one = await (await t.request(`/v1/followups/${opened!.id}`, { key: reader })).json();
    expect(one.teams.map((team: { key: string }) => team.key)).toEqual([work.teamA.key]);
  });
});

describe("overdue follow-ups", () => {
  it("a case opened Friday afternoon is overdue after 4 business hours, on Monday", async () => {
    t.clock.set("2026-11-20T15:00:00Z"); // Friday 15:00 UTC: two business hours left that day
    const { work, response } = await answer("csat3", 1);
    const [opened] = await casesOf(response.id);
    expect(opened!.dueAt.toISOString()).toBe("2026-11-23T11:00:00.000Z");

    t.clock.set("2026-11-22T23:00:00Z"); // Sunday night: the weekend does not count
    let body = await (await t.request(`/v1/followups/${opened!.id}`, { key: reader })).json();
    expect(body.overdue).toBe(false);
    await followupOverdueJob.runOnce(t.ctx);
    const [untouched] = await casesOf(response.id);
    expect(untouched!.overdueNotifiedAt).toBeNull();

    t.clock.set("2026-11-23T11:00:00Z");
    body = await (await t.request(`/v1/followups/${opened!.id}`, { key: reader })).json();
    expect(body.overdue).toBe(true);
    const overdueList = await (
      await t.request(`/v1/followups?overdue=true&team=${work.teamA.key}`, { key: reader })
    ).json();
    expect(overdueList.data.map((row: { id: string }) => row.id)).toEqual([opened!.id]);
    const notOverdue = await (
      await t.request(`/v1/followups?overdue=false&team=${work.teamA.key}`, { key: reader })
    ).json();
    expect(notOverdue.data).toEqual([]);

    expect(await followupOverdueJob.runOnce(t.ctx)).toBeGreaterThanOrEqual(1);
    const [notified] = await casesOf(response.id);
    expect(notified!.overdueNotifiedAt?.toISOString()).toBe("2026-11-23T11:00:00.000Z");
    t.clock.advance(3_600_000);
    expect(await followupOverdueJob.runOnce(t.ctx)).toBe(0);
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("an acknowledged case is not overdue", async () => {
    const { response } = await answer("nps", 2);
    const [opened] = await casesOf(response.id);
    const writer = await t.key("surveys:write");
    await t.request(`/v1/followups/${opened!.id}`, {
      key: writer,
      method: "PATCH",
      json: { state: "acknowledged" },
    });
    t.clock.advance(7 * 86_400_000);
    const body = await (await t.request(`/v1/followups/${opened!.id}`, { key: reader })).json();
    expect(body.overdue).toBe(false);
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("the overdue job queues no event when no subscription wants it", async () => {
    const deliveries = await t.ctx.db.select().from(webhookDeliveries);
    expect(deliveries).toEqual([]);
  });
});
