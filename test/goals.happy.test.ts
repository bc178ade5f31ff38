import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

interface AttainmentJson {
  goal: { id: string; target: number; metric: string; periodKind: string; team: { key: string } };
  team: { key: string };
  member: { externalId: string } | null;
  metric: string;
  period: string;
  from: string;
  to: string;
  target: number;
  minN: number;
  credit: string;
  value: number;
  n: number;
  interval: { low: number; high: number } | null;
  status: string;
  final: boolean;
  finalizedAt: string | null;
}

let t: TestApp;
let admin: string;
let reader: string;
let surveyId: string;
let npsSurveyId: string;
let clientId: string;

beforeAll(async () => {
  t = await createTestApp({ GOALS_FINALIZE_AFTER_HOURS: "48" });
  admin = await t.key("admin");
  reader = await t.key("metrics:read");
  surveyId = (await createSurvey(t.ctx.db, { scale: "csat3" })).id;
  npsSurveyId = (await createSurvey(t.ctx.db, { scale: "nps" })).id;
  clientId = (await createClient(t.ctx.db)).id;
});
afterAll(() => t.close());

/** One closed ticket touched by the team's member, answered with `score` at `at`. */
async function answered(
  team: { id: string },
  member: { id: string },
  score: number,
  at: string,
  scale: "csat3" | "nps" = "csat3",
) {
  const workItem = await createWorkItem(t.ctx.db, { clientId });
  await createTouch(t.ctx.db, { workItemId: workItem.id, memberId: member.id, teamId: team.id });
  return createResponse(t.ctx.db, {
    surveyId: scale === "csat3" ? surveyId : npsSurveyId,
    clientId,
    workItemId: workItem.id,
    scale,
    score,
    respondedAt: new Date(at),
  });
}

async function teamWithScores(key: string, scores: number[], at = "2026-11-10T10:00:00Z") {
  const team = await createTeam(t.ctx.db, { key });
  const member = await createMember(t.ctx.db, { teamId: team.id });
  for (const score of scores) await answered(team, member, score, at);
  return { team, member };
}

async function createGoal(body: Record<string, unknown>) {
  const response = await t.request("/v1/goals", { key: admin, json: body });
  expect(response.status).toBe(201);
  return response.json();
}

async function attainment(period: string, team?: string) {
  const query = new URLSearchParams({ period, ...(team ? { team } : {}) });
  const response = await t.request(`/v1/goals/attainment?${query}`, { key: reader });
  expect(response.status).toBe(200);
  return (await response.json()) as { period: string; data: AttainmentJson[] };
}

async function metricsApi(metric: string, team: string, from: string, to: string) {
  const { csatMetric, npsMetric } = await import("../src/metrics/figures.ts");
  const fn = metric === "nps" ? npsMetric : csatMetric;
  return fn({
    ctx: t.ctx,
    input: {
      from,
      to,
      groupBy: [],
      interval: undefined,
      tz: "UTC",
      filters: { team: [team] },
      credit: "shared",
      minSample: 30,
    },
  });
}

describe("goal attainment", () => {
  it("a team above its CSAT target has met it, with the metrics module's figures", async () => {
    await teamWithScores("met-desk", [3, 3, 3, 1]);
    const goal = await createGoal({
      team: "met-desk",
      metric: "csat",
      target: 70,
      periodKind: "month",
      minN: 4,
    });
    const { data } = await attainment("2026-11", "met-desk");
    expect(data).toHaveLength(1);
    const [entry] = data;
    expect(entry!.goal.id).toBe(goal.id);
    expect(entry!.status).toBe("met");
    expect(entry!.value).toBe(75);
    expect(entry!.n).toBe(4);
    expect(entry!.final).toBe(false);
    const metric = await metricsApi(
      "csat",
      "met-desk",
      "2026-11-01T00:00:00.000Z",
      "2026-12-01T00:00:00.000Z",
    );
    expect(entry!.value).toBe(metric.overall.value);
    expect(entry!.n).toBe(metric.overall.n);
    expect(entry!.interval).toEqual({
      low: metric.overall.interval!.low,
      high: metric.overall.interval!.high,
    });
    expect(entry!.from).toBe("2026-11-01T00:00:00.000Z");
    expect(entry!.to).toBe("2026-12-01T00:00:00.000Z");
  });

  it("a team below its target has not met it", async () => {
    await teamWithScores("short-desk", [3, 1, 1, 2]);
    await createGoal({
      team: "short-desk",
      metric: "csat",
      target: 70,
      periodKind: "month",
      minN: 4,
    });
    const [entry] = (await attainment("2026-11", "short-desk")).data;
    expect(entry!.status).toBe("not_met");
    expect(entry!.value).toBe(25);
  });

  it("fewer responses than the goal's minimum n is not enough data, whatever the value", async () => {
    await teamWithScores("small-desk", [3, 3]);
    await createGoal({
      team: "small-desk",
      metric: "csat",
      target: 50,
      periodKind: "month",
      minN: 5,
    });
    const [entry] = (await attainment("2026-11", "small-desk")).data;
    expect(entry!.status).toBe("not_enough_data");
    expect(entry!.value).toBe(100);
    expect(entry!.n).toBe(2);
  });

  it("an NPS goal on a quarter counts the whole quarter and answers only for quarters", async () => {
    const team = await createTeam(t.ctx.db, { key: "nps-desk" });
    const member = await createMember(t.ctx.db, { teamId: team.id });
    for (const [score, at] of [
      [10, "2026-10-05T09:00:00Z"],
      [9, "2026-11-05T09:00:00Z"],
      [3, "2026-12-05T09:00:00Z"],
      [10, "2026-09-30T09:00:00Z"],
    ] as const) {
      await answered(team, member, score, at, "nps");
    }
    await createGoal({
      team: "nps-desk",
      metric: "nps",
      target: 20,
      periodKind: "quarter",
      minN: 3,
    });
    const [entry] = (await attainment("2026-Q4", "nps-desk")).data;
    expect(entry!.n).toBe(3);
    expect(entry!.value).toBeCloseTo(((2 - 1) / 3) * 100, 6);
    expect(entry!.status).toBe("met");
    expect((await attainment("2026-11", "nps-desk")).data).toHaveLength(0);
  });

  it("a closed period is frozen: late data and goal edits do not change its figures", async () => {
    const { team, member } = await teamWithScores(
      "frozen-desk",
      [3, 3, 1, 1],
      "2026-10-15T12:00:00Z",
    );
    const goal = await createGoal({
      team: "frozen-desk",
      metric: "csat",
      target: 50,
      periodKind: "month",
      minN: 4,
    });
    t.clock.set("2026-11-02T00:00:00Z");
    const live = (await attainment("2026-10", "frozen-desk")).data[0]!;
    expect(live.final).toBe(false);

    t.clock.set("2026-11-03T00:00:01Z");
    const frozen = (await attainment("2026-10", "frozen-desk")).data[0]!;
    expect(frozen.final).toBe(true);
    expect(frozen.status).toBe("met");
    expect(frozen.value).toBe(50);

    // A late answer dated in October and a goal made stricter afterwards.
    await answered(team, member, 1, "2026-10-20T12:00:00Z");
    await t.request(`/v1/goals/${goal.id}`, { key: admin, method: "PATCH", json: { target: 90 } });
    t.clock.set("2027-01-15T00:00:00Z");
    const later = (await attainment("2026-10", "frozen-desk")).data[0]!;
    expect(later).toEqual({ ...frozen, goal: later.goal });
    expect(later.goal.target).toBe(90);
    // The live metric has moved on; the frozen answer has not.
    const metric = await metricsApi(
      "csat",
      "frozen-desk",
      "2026-10-01T00:00:00.000Z",
      "2026-11-01T00:00:00.000Z",
    );
    expect(metric.overall.n).toBe(5);
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("credit is shared by default and weighted when the goal asks for it", async () => {
    const a = await createTeam(t.ctx.db, { key: "weighted-a" });
    const b = await createTeam(t.ctx.db, { key: "weighted-b" });
    const ma = await createMember(t.ctx.db, { teamId: a.id });
    const mb = await createMember(t.ctx.db, { teamId: b.id });
    for (const score of [3, 1]) {
      const workItem = await createWorkItem(t.ctx.db, { clientId });
      await createTouch(t.ctx.db, {
        workItemId: workItem.id,
        memberId: ma.id,
        teamId: a.id,
        minutes: 30,
      });
      await createTouch(t.ctx.db, {
        workItemId: workItem.id,
        memberId: mb.id,
        teamId: b.id,
        minutes: 90,
      });
      await createResponse(t.ctx.db, {
        surveyId,
        clientId,
        workItemId: workItem.id,
        scale: "csat3",
        score,
        respondedAt: new Date("2026-11-12T10:00:00Z"),
      });
    }
    const shared = await createGoal({
      team: "weighted-a",
      metric: "csat",
      target: 50,
      periodKind: "month",
      minN: 1,
    });
    expect(shared.credit).toBe("shared");
    await createGoal({
      team: "weighted-a",
      metric: "csat",
      target: 50,
      periodKind: "month",
      minN: 1,
      credit: "weighted",
    });
    const { data } = await attainment("2026-11", "weighted-a");
    const byCredit = Object.fromEntries(data.map((entry) => [entry.credit, entry]));
    expect(byCredit.shared!.n).toBe(2);
    expect(byCredit.weighted!.n).toBeCloseTo(0.5, 9);
  });
});

describe("freezing closed periods", () => {
  it("the worker freezes last month once its grace time passes, before anyone reads it", async () => {
    const { goalFreezeJob } = await import("../src/goals/freeze-job.ts");
    const { goalAttainments } = await import("../src/db/schema/index.ts");
    const { and, eq } = await import("drizzle-orm");
    await teamWithScores("job-desk", [3, 3, 3], "2026-11-20T12:00:00Z");
    const goal = await createGoal({
      team: "job-desk",
      metric: "csat",
      target: 90,
      periodKind: "month",
      minN: 3,
    });
    const november = () =>
      t.ctx.db
        .select()
        .from(goalAttainments)
        .where(and(eq(goalAttainments.goalId, goal.id), eq(goalAttainments.period, "2026-11")));
    t.clock.set("2026-12-02T00:00:00Z");
    await goalFreezeJob.runOnce(t.ctx);
    expect(await november()).toHaveLength(0);
    t.clock.set("2026-12-04T13:00:00Z");
    expect(await goalFreezeJob.runOnce(t.ctx)).toBeGreaterThan(0);
    const [row] = await november();
    expect(row).toMatchObject({ period: "2026-11", status: "met", value: 100, n: 3, target: 90 });
    // An edit after the freeze applies only to periods not frozen yet.
    await t.request(`/v1/goals/${goal.id}`, { key: admin, method: "PATCH", json: { minN: 50 } });
    const [entry] = (await attainment("2026-11", "job-desk")).data;
    expect(entry).toMatchObject({ status: "met", minN: 3, final: true });
    expect(await goalFreezeJob.runOnce(t.ctx)).toBe(0);
    t.clock.set("2026-11-18T17:00:00Z");
  });
});

describe("a frozen period outlives later goal edits", () => {
  it("is still answered after the goal changed kind, with the metric it was frozen for", async () => {
    await teamWithScores("edit-desk", [3, 3, 3, 1], "2026-10-15T12:00:00Z");
    const goal = await createGoal({
      team: "edit-desk",
      metric: "csat",
      target: 70,
      periodKind: "month",
      minN: 1,
    });
    t.clock.set("2026-11-05T00:00:00Z");
    const [frozen] = (await attainment("2026-10", "edit-desk")).data;
    expect(frozen).toMatchObject({ final: true, value: 75, metric: "csat" });

    const changed = await t.request(`/v1/goals/${goal.id}`, {
      key: admin,
      method: "PATCH",
      json: { metric: "nps", target: 20, periodKind: "quarter" },
    });
    expect(changed.status).toBe(200);
    const after = (await attainment("2026-10", "edit-desk")).data;
    expect(after.map((entry) => entry.goal.id)).toEqual([goal.id]);
    expect(after[0]).toMatchObject({ final: true, value: 75, metric: "csat", target: 70 });
    // The goal itself is shown as it is now.
    expect(after[0]!.goal).toMatchObject({ metric: "nps", periodKind: "quarter" });
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("stays with the team it froze for after the goal moved to another team", async () => {
    const { member: alphaMember } = await teamWithScores(
      "moved-alpha",
      [3, 3, 3],
      "2026-10-15T12:00:00Z",
    );
    await teamWithScores("moved-beta", [1], "2026-10-15T12:00:00Z");
    t.clock.set("2026-10-01T00:00:00Z");
    const goal = await createGoal({
      team: "moved-alpha",
      member: alphaMember.externalId,
      metric: "csat",
      target: 80,
      periodKind: "month",
      minN: 1,
    });
    t.clock.set("2026-11-05T00:00:00Z");
    const [frozen] = (await attainment("2026-10", "moved-alpha")).data;
    expect(frozen).toMatchObject({ final: true, value: 100, n: 3, status: "met" });

    const moved = await t.request(`/v1/goals/${goal.id}`, {
      key: admin,
      method: "PATCH",
      json: { team: "moved-beta", member: null },
    });
    expect(moved.status).toBe(200);
    // October stays alpha's (and its member's), under alpha; beta is not credited with it.
    const alpha = (await attainment("2026-10", "moved-alpha")).data;
    expect(alpha).toHaveLength(1);
    expect(alpha[0]).toMatchObject({
      final: true,
      value: 100,
      status: "met",
      team: { key: "moved-alpha" },
      member: { externalId: alphaMember.externalId },
      goal: { id: goal.id, team: { key: "moved-beta" } },
    });
    expect((await attainment("2026-10", "moved-beta")).data).toEqual([]);
    // November is the goal's as it is now: beta's, no member.
    t.clock.set("2026-11-20T00:00:00Z");
    const [november] = (await attainment("2026-11", "moved-beta")).data;
    expect(november).toMatchObject({ final: false, team: { key: "moved-beta" }, member: null });
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("a goal made after a period ended is frozen for it by its first reader, not by the worker", async () => {
    const { goalFreezeJob } = await import("../src/goals/freeze-job.ts");
    await teamWithScores("late-goal-desk", [3, 3, 1], "2026-10-15T12:00:00Z");
    // A goal that existed in October, which the worker freezes October for.
    t.clock.set("2026-10-10T00:00:00Z");
    await createGoal({
      team: "late-goal-desk",
      metric: "csat",
      target: 50,
      periodKind: "month",
      minN: 1,
    });
    t.clock.set("2026-11-10T00:00:00Z");
    const late = await createGoal({
      team: "late-goal-desk",
      metric: "csat",
      target: 60,
      periodKind: "month",
      minN: 1,
    });
    expect(await goalFreezeJob.runOnce(t.ctx)).toBeGreaterThan(0);
    // Its target corrected before anyone read October: the first read freezes the corrected one.
    await t.request(`/v1/goals/${late.id}`, { key: admin, method: "PATCH", json: { target: 70 } });
    const entries = (await attainment("2026-10", "late-goal-desk")).data;
    expect(entries.map((entry) => [entry.target, entry.status, entry.final])).toEqual([
      [50, "met", true],
      [70, "not_met", true],
    ]);
    t.clock.set("2026-11-18T17:00:00Z");
  });

  it("a goal deactivated in the grace time still answers and freezes the month that ended", async () => {
    const { goalFreezeJob } = await import("../src/goals/freeze-job.ts");
    await teamWithScores("retired-desk", [3, 3, 3, 1], "2026-10-15T12:00:00Z");
    t.clock.set("2026-10-01T00:00:00Z");
    const goal = await createGoal({
      team: "retired-desk",
      metric: "csat",
      target: 70,
      periodKind: "month",
      minN: 1,
    });
    t.clock.set("2026-11-01T12:00:00Z");
    expect((await attainment("2026-10", "retired-desk")).data[0]).toMatchObject({ value: 75 });
    const deleted = await t.request(`/v1/goals/${goal.id}`, { key: admin, method: "DELETE" });
    expect(deleted.status).toBeLessThan(300);
    t.clock.set("2026-11-05T00:00:00Z");
    expect(await goalFreezeJob.runOnce(t.ctx)).toBeGreaterThan(0);
    const after = (await attainment("2026-10", "retired-desk")).data;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ final: true, value: 75 });
    // A month that began after the goal was deactivated is not answered for it, also after the
    // inactive goal is edited.
    t.clock.set("2026-12-05T00:00:00Z");
    const renamed = await t.request(`/v1/goals/${goal.id}`, {
      key: admin,
      method: "PATCH",
      json: { name: "Old desk goal" },
    });
    expect(renamed.status).toBe(200);
    expect((await attainment("2026-11", "retired-desk")).data).toEqual([]);
    t.clock.set("2026-11-18T17:00:00Z");
  });
});

describe("goal management", () => {
  it("creates, lists, changes and deactivates goals", async () => {
    await createTeam(t.ctx.db, { key: "crud-desk" });
    const goal = await createGoal({
      team: "crud-desk",
      metric: "response-rate",
      target: 40,
      periodKind: "quarter",
      name: "Reply rate",
    });
    expect(goal).toMatchObject({
      team: { key: "crud-desk" },
      member: null,
      metric: "response-rate",
      minN: 30,
      credit: "shared",
      timezone: "UTC",
      active: true,
    });
    const listed = await (await t.request("/v1/goals?team=crud-desk", { key: reader })).json();
    expect(listed.data.map((g: { id: string }) => g.id)).toEqual([goal.id]);
    const patched = await t.request(`/v1/goals/${goal.id}`, {
      key: admin,
      method: "PATCH",
      json: { target: 45, minN: 10 },
    });
    expect(await patched.json()).toMatchObject({ target: 45, minN: 10 });
    const removed = await t.request(`/v1/goals/${goal.id}`, { key: admin, method: "DELETE" });
    expect((await removed.json()).active).toBe(false);
    const one = await (await t.request(`/v1/goals/${goal.id}`, { key: reader })).json();
    expect(one.active).toBe(false);
  });
});

describe("freezing with a grace time longer than a month", () => {
  it("the worker freezes a month whose grace ends after the next month has begun", async () => {
    const { goalFreezeJob } = await import("../src/goals/freeze-job.ts");
    const { goalAttainments } = await import("../src/db/schema/index.ts");
    const { and, eq } = await import("drizzle-orm");
    const long = await createTestApp({ GOALS_FINALIZE_AFTER_HOURS: "800" });
    try {
      long.clock.set("2026-12-10T00:00:00Z");
      const longAdmin = await long.key("admin");
      await createTeam(long.ctx.db, { key: "slow-freeze" });
      const created = await long.request("/v1/goals", {
        key: longAdmin,
        json: { team: "slow-freeze", metric: "csat", target: 90, periodKind: "month", minN: 1 },
      });
      expect(created.status).toBe(201);
      const goal = (await created.json()) as { id: string };
      const december = () =>
        long.ctx.db
          .select()
          .from(goalAttainments)
          .where(and(eq(goalAttainments.goalId, goal.id), eq(goalAttainments.period, "2026-12")));
      // December 2026's grace (800 hours) ends on 3 February 2027, in February.
      for (const day of ["2027-01-20", "2027-02-01"]) {
        long.clock.set(`${day}T12:00:00Z`);
        await goalFreezeJob.runOnce(long.ctx);
      }
      expect(await december()).toEqual([]);
      long.clock.set("2027-02-04T12:00:00Z");
      expect(await goalFreezeJob.runOnce(long.ctx)).toBeGreaterThan(0);
      expect((await december()).map((row) => row.target)).toEqual([90]);
    } finally {
      await long.close();
    }
  });
});
