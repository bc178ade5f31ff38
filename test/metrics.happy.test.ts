import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clients as clientsTable, workItems } from "../src/db/schema/index.ts";
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
import {
  buildScenario,
  localLabel,
  type OracleData,
  type OracleDim,
  type OracleQuery,
  oracle,
  oracleData,
  oracleWilson,
  type Scenario,
} from "./support/metrics-oracle.ts";

let t: TestApp;
let key: string;
let scenario: Scenario;
let data: OracleData;

beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("metrics:read");
  scenario = await buildScenario(t.ctx.db, "x".repeat(32), 20261118);
  data = await oracleData(t.ctx.db);
});
afterAll(() => t.close());

interface ApiEntry {
  key: Record<string, string>;
  bucketLocal?: string;
  n: number;
  value: number | null;
  interval: { low: number; high: number } | null;
  lowSample: boolean;
  counts: Record<string, unknown>;
}

async function get(path: string) {
  const response = await t.request(path, { key });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { overall: ApiEntry; groups: ApiEntry[] };
}

/** The API's group id in the oracle's terms: bucket label and ids instead of public names. */
function groupId(entry: ApiEntry, groupBy: OracleDim[], unit: "month" | "day" | undefined): string {
  const label = entry.bucketLocal
    ? unit === "month"
      ? entry.bucketLocal.slice(0, 7)
      : entry.bucketLocal.slice(0, 10)
    : "";
  return JSON.stringify([
    label,
    ...groupBy.map((d) => {
      const value = entry.key[d]!;
      if (d === "team" || d === "member" || d === "client" || d === "survey")
        return scenario.names[d].get(value);
      return value;
    }),
  ]);
}

function expectSameFigures(
  api: { overall: ApiEntry; groups: ApiEntry[] },
  q: OracleQuery,
  unit: "month" | "day" | undefined,
) {
  // Zero-weight groups (a team whose touches carry no minutes) and empty buckets aside.
  const expected = new Map([...oracle(data, q)].filter(([, figure]) => figure.n > 0));
  const overall = oracle(data, { ...q, groupBy: [], bucketOf: undefined }).get(
    JSON.stringify([""]),
  );
  expect(api.overall.n).toBeCloseTo(overall?.n ?? 0, 9);
  if (overall?.value !== undefined && overall.value !== null)
    expect(api.overall.value).toBeCloseTo(overall.value, 6);
  const got = new Map(
    api.groups.filter((g) => g.n > 0).map((g) => [groupId(g, q.groupBy, unit), g]),
  );
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, figure] of expected) {
    const entry = got.get(id)!;
    expect(entry.n, id).toBeCloseTo(figure.n, 9);
    expect(entry.value, id).toBeCloseTo(figure.value!, 6);
    expect(entry.lowSample).toBe(figure.n < 30);
    if (q.metric !== "nps") {
      const [low, high] = oracleWilson(figure.counts.good!, figure.n);
      expect(entry.interval!.low).toBeCloseTo(low, 6);
      expect(entry.interval!.high).toBeCloseTo(high, 6);
    }
    if (q.metric === "nps") {
      expect(entry.counts.promoters).toBeCloseTo(figure.counts.good!, 9);
      expect(entry.counts.detractors).toBeCloseTo(figure.counts.bad!, 9);
      const scores = entry.counts.scores as Record<string, number>;
      for (const [cell, count] of Object.entries(figure.counts)) {
        if (cell.startsWith("nps:")) expect(scores[cell.slice(4)]).toBeCloseTo(count, 9);
      }
    }
    if (q.metric === "csat") {
      const scores = entry.counts.scores as Record<string, Record<string, number>>;
      for (const [cell, count] of Object.entries(figure.counts)) {
        const [scale, score] = cell.split(":");
        if (scale?.startsWith("csat")) expect(scores[scale]![score!]).toBeCloseTo(count, 9);
      }
    }
  }
}

const from = new Date("2026-09-01T00:00:00Z");
const to = new Date("2027-01-01T00:00:00Z");
const range = `from=${from.toISOString()}&to=${to.toISOString()}`;

describe.each(["shared", "weighted"] as const)(
  "metrics with credit=%s match an independent count",
  (credit) => {
    it("CSAT by team per Berlin month", async () => {
      const api = await get(
        `/v1/metrics/csat?${range}&groupBy=team&interval=month&tz=Europe/Berlin&credit=${credit}`,
      );
      expectSameFigures(
        api,
        {
          metric: "csat",
          from,
          to,
          groupBy: ["team"],
          bucketOf: localLabel("Europe/Berlin", "month"),
          filters: {},
          credit,
        },
        "month",
      );
    });

    it("NPS by member", async () => {
      const api = await get(`/v1/metrics/nps?${range}&groupBy=member&credit=${credit}`);
      expectSameFigures(
        api,
        { metric: "nps", from, to, groupBy: ["member"], filters: {}, credit },
        undefined,
      );
    });

    it("CSAT by board and survey, and by escalation", async () => {
      for (const groupBy of [["board", "survey"], ["escalation"]] as OracleDim[][]) {
        const api = await get(
          `/v1/metrics/csat?${range}&groupBy=${groupBy.join(",")}&credit=${credit}`,
        );
        expectSameFigures(
          api,
          { metric: "csat", from, to, groupBy, filters: {}, credit },
          undefined,
        );
      }
    });

    it("CSAT of two teams by client per UTC day (computed from the responses)", async () => {
      const teams = [...scenario.names.team.keys()].slice(0, 2);
      const api = await get(
        `/v1/metrics/csat?${range}&groupBy=client&interval=day&team=${teams.join(",")}&credit=${credit}`,
      );
      expectSameFigures(
        api,
        {
          metric: "csat",
          from,
          to,
          groupBy: ["client"],
          bucketOf: localLabel("UTC", "day"),
          filters: { team: teams.map((k) => scenario.names.team.get(k)!) },
          credit,
        },
        "day",
      );
    });

    it("response rate by team, and NPS of one member's work in India time", async () => {
      const api = await get(`/v1/metrics/response-rate?${range}&groupBy=team&credit=${credit}`);
      expectSameFigures(
        api,
        { metric: "response-rate", from, to, groupBy: ["team"], filters: {}, credit },
        undefined,
      );
      const member = [...scenario.names.member.keys()][1]!;
      const nps = await get(
        `/v1/metrics/nps?${range}&interval=month&tz=Asia/Kolkata&member=${member}&credit=${credit}`,
      );
      expectSameFigures(
        nps,
        {
          metric: "nps",
          from,
          to,
          groupBy: [],
          bucketOf: localLabel("Asia/Kolkata", "month"),
          filters: { member: [scenario.names.member.get(member)!] },
          credit,
        },
        "month",
      );
    });
  },
);

describe("time zones and definitions", () => {
  it("a response at 2026-10-31T23:30Z counts in November for Europe/Berlin and October in UTC", async () => {
    const survey = [...scenario.names.survey.entries()].find(
      ([, id]) => id === scenario.ids.surveys.csat3,
    )![0];
    const window = "from=2026-10-31T23:00:00Z&to=2026-11-01T00:00:00Z";
    const berlin = await get(
      `/v1/metrics/csat?${window}&survey=${survey}&interval=month&tz=Europe/Berlin`,
    );
    const utc = await get(`/v1/metrics/csat?${window}&survey=${survey}&interval=month`);
    expect(berlin.groups.map((g) => [g.bucketLocal, g.n])).toEqual([["2026-11-01T00:00:00", 1]]);
    expect(utc.groups.map((g) => [g.bucketLocal, g.n])).toEqual([["2026-10-01T00:00:00", 1]]);
  });

  it("date-only bounds are local midnights in tz", async () => {
    const api = (await get(
      "/v1/metrics/csat?from=2026-11-01&to=2026-12-01&tz=Europe/Berlin",
    )) as unknown as {
      from: string;
      to: string;
    };
    expect(api.from).toBe("2026-10-31T23:00:00.000Z");
    expect(api.to).toBe("2026-11-30T23:00:00.000Z");
  });

  it("the escalation view splits CSAT and open-to-close time by how many teams touched the work", async () => {
    const response = await t.request(`/v1/metrics/escalation?${range}`, { key });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      groups: Array<{
        escalation: string;
        csat: ApiEntry;
        resolution: { items: number; medianHours: number | null; meanHours: number | null };
      }>;
    };
    const csat = oracle(data, {
      metric: "csat",
      from,
      to,
      groupBy: ["escalation"],
      filters: {},
      credit: "shared",
    });
    const items = await t.ctx.db.select().from(workItems);
    for (const group of body.groups) {
      expect(group.csat.n).toBe(csat.get(JSON.stringify(["", group.escalation]))?.n ?? 0);
      const hours = items
        .filter((w) => w.closedAt && w.openedAt && w.closedAt >= from && w.closedAt < to)
        .filter((w) => {
          const teams = new Set(
            data.touches.filter((x) => x.workItemId === w.id).map((x) => x.teamId),
          ).size;
          return (
            (teams === 0 ? "untouched" : teams === 1 ? "single-team" : "multi-team") ===
            group.escalation
          );
        })
        .map((w) => (w.closedAt!.getTime() - w.openedAt!.getTime()) / 3_600_000)
        .sort((a, b) => a - b);
      expect(group.resolution.items).toBe(hours.length);
      if (hours.length > 0) {
        const mid = (hours.length - 1) / 2;
        const median = (hours[Math.floor(mid)]! + hours[Math.ceil(mid)]!) / 2;
        expect(group.resolution.medianHours).toBeCloseTo(median, 6);
        expect(group.resolution.meanHours).toBeCloseTo(
          hours.reduce((a, b) => a + b, 0) / hours.length,
          6,
        );
      }
    }
    expect(body.groups.map((g) => g.escalation)).toEqual([
      "multi-team",
      "single-team",
      "untouched",
    ]);
  });

  it("retention counts clients active at from that are still active at to", async () => {
    const response = await get("/v1/metrics/retention?from=2026-06-01&to=2027-01-01");
    const clients = await t.ctx.db.select().from(clientsTable);
    const at = (c: (typeof clients)[number], instant: Date) =>
      c.activeSince <= instant && (c.endedAt === null || c.endedAt > instant);
    const start = clients.filter((c) => at(c, new Date("2026-06-01T00:00:00Z")));
    const kept = start.filter((c) => at(c, new Date("2027-01-01T00:00:00Z")));
    expect(response.overall.n).toBe(start.length);
    expect(response.overall.value).toBeCloseTo((kept.length / start.length) * 100, 9);
  });
});

describe("the escalation view with a team or member filter", () => {
  it("open-to-close times cover only the work the filtered team or member touched, like its CSAT", async () => {
    const db = t.ctx.db;
    const survey = await createSurvey(db, { scale: "csat3" });
    const client = await createClient(db);
    const mine = await createTeam(db);
    const others = await createTeam(db);
    const me = await createMember(db, { teamId: mine.id });
    const them = await createMember(db, { teamId: others.id });
    const window = "from=2025-02-01T00:00:00Z&to=2025-03-01T00:00:00Z";
    // My team's ticket was open 2 hours, the other team's 100 hours.
    for (const [member, team, hours] of [
      [me, mine, 2],
      [them, others, 100],
    ] as const) {
      const item = await createWorkItem(db, {
        clientId: client.id,
        openedAt: new Date(Date.parse("2025-02-10T00:00:00Z") - hours * 3_600_000),
        closedAt: new Date("2025-02-10T00:00:00Z"),
      });
      await createTouch(db, { workItemId: item.id, memberId: member.id, teamId: team.id });
      await createResponse(db, {
        surveyId: survey.id,
        clientId: client.id,
        workItemId: item.id,
        scale: "csat3",
        score: 3,
        respondedAt: new Date("2025-02-11T00:00:00Z"),
      });
    }
    for (const filter of [`team=${mine.key}`, `member=${me.externalId}`]) {
      const response = await t.request(`/v1/metrics/escalation?${window}&${filter}`, { key });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        groups: Array<{
          escalation: string;
          csat: ApiEntry;
          resolution: { items: number; meanHours: number | null };
        }>;
      };
      const single = body.groups.find((g) => g.escalation === "single-team")!;
      expect(single.csat.n, filter).toBe(1);
      expect(single.resolution, filter).toMatchObject({ items: 1, meanHours: 2 });
    }
    // A member of another team than the filtered one: the same line must match both.
    const mixed = await t.request(
      `/v1/metrics/escalation?${window}&team=${mine.key}&member=${them.externalId}`,
      { key },
    );
    const none = (await mixed.json()) as {
      groups: Array<{ csat: ApiEntry; resolution: { items: number } }>;
    };
    expect(none.groups.map((g) => [g.csat.n, g.resolution.items])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });
});
