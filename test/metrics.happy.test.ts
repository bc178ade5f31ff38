import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clients as clientsTable,
  invitations,
  members as membersTable,
  surveys as surveysTable,
  teams as teamsTable,
  touches as touchesTable,
  workItems,
} from "../src/db/schema/index.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createContact,
  createInvitation,
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

  it("an escalation group without answers is a low sample only under a minimum above zero", async () => {
    const empty = "from=2031-01-01&to=2031-02-01";
    for (const [query, low] of [
      [empty, true],
      [`${empty}&minSample=0`, false],
    ] as const) {
      const response = await t.request(`/v1/metrics/escalation?${query}`, { key });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        groups: Array<{ csat: ApiEntry; nps: ApiEntry }>;
      };
      expect(body.groups).toHaveLength(3);
      for (const group of body.groups) {
        expect([group.csat.n, group.csat.lowSample, group.nps.lowSample]).toEqual([0, low, low]);
      }
    }
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

describe("client retention by group", () => {
  type Dim = "team" | "member" | "client" | "board" | "survey";
  interface RetentionEntry {
    key: Record<string, string>;
    bucketStart?: string;
    n: number;
    value: number | null;
    interval: { low: number; high: number } | null;
    counts: { activeAtStart: number; stillActive: number };
  }
  interface RetentionAnswer {
    from: string;
    to: string;
    overall: RetentionEntry;
    groups: RetentionEntry[];
  }

  async function retention(query: string): Promise<RetentionAnswer> {
    const response = await t.request(`/v1/metrics/retention?${query}`, { key });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as RetentionAnswer;
  }

  /**
   * Retention by group recomputed from every row: a client is in a team's (member's) group when
   * that team (member) touched one of its work items before the end, in a board's when one of
   * its work items on that board was opened before the end (or touched, with team or member),
   * in a survey's when an invitation of that survey was sent to it before the end. Filters keep
   * the clients with such a fact among the filtered values; team, member and board come from
   * the same touch of the same work item.
   */
  async function allRows() {
    const db = t.ctx.db;
    const [clients, items, touches, sent, teams, members, surveys] = await Promise.all([
      db.select().from(clientsTable),
      db.select().from(workItems),
      db.select().from(touchesTable),
      db.select().from(invitations),
      db.select().from(teamsTable),
      db.select().from(membersTable),
      db.select().from(surveysTable),
    ]);
    return { clients, items, touches, sent, teams, members, surveys };
  }

  function expected(
    rows: Awaited<ReturnType<typeof allRows>>,
    lo: Date,
    hi: Date,
    groupBy: Dim[],
    filters: Partial<Record<Dim, string[]>>,
  ): Map<string, { atStart: number; kept: number }> {
    const { clients, items, touches, sent, teams, members, surveys } = rows;
    const teamKey = new Map(teams.map((x) => [x.id, x.key]));
    const memberKey = new Map(members.map((x) => [x.id, x.externalId]));
    const surveyKey = new Map(surveys.map((x) => [x.id, x.key]));
    const active = (c: (typeof clients)[number], at: Date) =>
      c.activeSince <= at && (c.endedAt === null || c.endedAt > at);
    const byTouch = ["team", "member"].some((d) => groupBy.includes(d as Dim) || filters[d as Dim]);
    const workDims = (["team", "member", "board"] as const).filter((d) => groupBy.includes(d));
    const byWork = byTouch || groupBy.includes("board") || !!filters.board;
    const bySurvey = groupBy.includes("survey") || !!filters.survey;
    const result = new Map<string, { atStart: number; kept: number }>();
    for (const client of clients) {
      if (!active(client, lo)) continue;
      if (filters.client && !filters.client.includes(client.externalId)) continue;
      // The client's work facts before the end, as [team, member, board] values.
      const facts: Array<Record<string, string | null>> = [];
      for (const item of items.filter((w) => w.clientId === client.id)) {
        if (byTouch) {
          for (const x of touches.filter((x) => x.workItemId === item.id && x.at < hi)) {
            facts.push({
              team: teamKey.get(x.teamId)!,
              member: memberKey.get(x.memberId)!,
              board: item.board,
            });
          }
        } else if ((item.openedAt ?? item.createdAt) < hi) {
          facts.push({ team: null, member: null, board: item.board });
        }
      }
      const work = facts.filter(
        (f) =>
          (!filters.team || filters.team.includes(f.team!)) &&
          (!filters.member || filters.member.includes(f.member!)) &&
          (!filters.board || (f.board != null && filters.board.includes(f.board))) &&
          (!groupBy.includes("board") || f.board !== null),
      );
      const workKeys = byWork
        ? [...new Set(work.map((f) => JSON.stringify(workDims.map((d) => f[d]))))]
        : [JSON.stringify([])];
      const surveyKeys = bySurvey
        ? [
            ...new Set(
              sent
                .filter((i) => i.clientId === client.id && i.sentAt !== null && i.sentAt < hi)
                .map((i) => surveyKey.get(i.surveyId)!)
                .filter((k) => !filters.survey || filters.survey.includes(k))
                .map((k) => (groupBy.includes("survey") ? k : null)),
            ),
          ]
        : [null];
      for (const w of workKeys) {
        const values = JSON.parse(w) as string[];
        for (const survey of surveyKeys) {
          const key = JSON.stringify(
            groupBy.map((d) =>
              d === "client"
                ? client.externalId
                : d === "survey"
                  ? survey
                  : values[workDims.indexOf(d as (typeof workDims)[number])],
            ),
          );
          const entry = result.get(key) ?? { atStart: 0, kept: 0 };
          entry.atStart += 1;
          if (active(client, hi)) entry.kept += 1;
          result.set(key, entry);
        }
      }
    }
    return result;
  }

  it("a team's, board's and survey's clients are those it touched, held or surveyed before the end; groups overlap", async () => {
    const db = t.ctx.db;
    const desk = await createTeam(db);
    const field = await createTeam(db);
    const ann = await createMember(db, { teamId: desk.id });
    const ben = await createMember(db, { teamId: field.id });
    const survey = await createSurvey(db, { scale: "nps" });
    const since = new Date("2023-01-01T00:00:00Z");
    const stays = await createClient(db, { activeSince: since });
    const leaves = await createClient(db, {
      activeSince: since,
      endedAt: new Date("2023-09-01T00:00:00Z"),
    });
    const later = await createClient(db, { activeSince: since });
    const early = new Date("2023-02-01T00:00:00Z");
    for (const [client, member, team] of [
      [stays, ann, desk],
      [stays, ben, field],
      [leaves, ann, desk],
    ] as const) {
      const item = await createWorkItem(db, {
        clientId: client.id,
        board: "Onsite 2023",
        openedAt: early,
      });
      await createTouch(db, {
        workItemId: item.id,
        memberId: member.id,
        teamId: team.id,
        at: early,
      });
    }
    // Touched only after the period: not the field team's client in this period.
    const after = await createWorkItem(db, { clientId: later.id, openedAt: early });
    await createTouch(db, {
      workItemId: after.id,
      memberId: ben.id,
      teamId: field.id,
      at: new Date("2024-02-01T00:00:00Z"),
    });
    const contact = await createContact(db, { clientId: leaves.id });
    await createInvitation(db, "x".repeat(32), {
      surveyId: survey.id,
      contactId: contact.id,
      clientId: leaves.id,
      workItemId: null,
      sentAt: early,
    });
    const window = "from=2023-06-01&to=2024-01-01";
    const byTeam = await retention(`${window}&groupBy=team&team=${desk.key},${field.key}`);
    const counts = (body: RetentionAnswer) =>
      Object.fromEntries(
        body.groups.map((g) => [Object.values(g.key).join("/"), [g.n, g.counts.stillActive]]),
      );
    // Desk served both clients (one left), field only the one that stayed.
    expect(counts(byTeam)).toEqual({ [desk.key]: [2, 1], [field.key]: [1, 1] });
    // Overall counts each client once: the two clients either team touched.
    expect(byTeam.overall).toMatchObject({ n: 2, value: 50 });
    expect(byTeam.groups[0]!.interval).not.toBeNull();
    const byMember = await retention(`${window}&groupBy=member&team=${field.key}`);
    expect(counts(byMember)).toEqual({ [ben.externalId]: [1, 1] });
    const byBoard = await retention(`${window}&groupBy=board&board=Onsite%202023`);
    expect(counts(byBoard)).toEqual({ "Onsite 2023": [2, 1] });
    const bySurvey = await retention(`${window}&groupBy=survey,client&survey=${survey.key}`);
    expect(counts(bySurvey)).toEqual({ [`${survey.key}/${leaves.externalId}`]: [1, 0] });
  });

  it("random clients, work, touches and invitations against a recomputation from the rows", async () => {
    const db = t.ctx.db;
    const base = Date.parse("2024-01-01T00:00:00Z");
    const DAY = 86_400_000;
    const teams = [await createTeam(db), await createTeam(db)];
    const members = [
      await createMember(db, { teamId: teams[0]!.id }),
      await createMember(db, { teamId: teams[1]!.id }),
      await createMember(db, { teamId: teams[1]!.id }),
    ];
    const surveys = [await createSurvey(db), await createSurvey(db, { scale: "nps" })];
    const boards = ["Help Desk 2024", "Projects 2024"];
    const day = fc.integer({ min: 0, max: 300 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            since: day,
            ends: fc.option(fc.integer({ min: 1, max: 300 }), { freq: 2 }),
            items: fc.array(
              fc.record({
                board: fc.constantFrom(...boards, null),
                opened: fc.option(day, { freq: 4 }),
                touches: fc.array(fc.record({ member: fc.nat(2), team: fc.nat(1), at: day }), {
                  maxLength: 3,
                }),
              }),
              { maxLength: 3 },
            ),
            sent: fc.array(fc.record({ survey: fc.nat(1), at: fc.option(day, { freq: 4 }) }), {
              maxLength: 2,
            }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.record({
          start: fc.integer({ min: 0, max: 250 }),
          length: fc.integer({ min: 1, max: 120 }),
          interval: fc.constantFrom(undefined, "month", "quarter"),
          groupBy: fc.subarray(["team", "member", "client", "board", "survey"] as Dim[], {
            maxLength: 2,
          }),
          team: fc.option(fc.subarray([0, 1], { minLength: 1 }), { freq: 3 }),
          member: fc.option(fc.subarray([0, 1, 2], { minLength: 1 }), { freq: 3 }),
          board: fc.option(fc.subarray(boards, { minLength: 1 }), { freq: 3 }),
          survey: fc.option(fc.subarray([0, 1], { minLength: 1 }), { freq: 3 }),
        }),
        async (specs, q) => {
          for (const spec of specs) {
            const since = new Date(base + spec.since * DAY);
            const client = await createClient(db, {
              activeSince: since,
              endedAt: spec.ends === null ? null : new Date(since.getTime() + spec.ends * DAY),
            });
            for (const it of spec.items) {
              const item = await createWorkItem(db, {
                clientId: client.id,
                board: it.board,
                openedAt: it.opened === null ? null : new Date(base + it.opened * DAY),
              });
              let k = 0;
              for (const x of it.touches) {
                k += 1;
                await createTouch(db, {
                  workItemId: item.id,
                  memberId: members[x.member]!.id,
                  teamId: teams[x.team]!.id,
                  at: new Date(base + x.at * DAY + k * 60_000),
                });
              }
            }
            if (spec.sent.length > 0) {
              const contact = await createContact(db, { clientId: client.id });
              for (const i of spec.sent) {
                await createInvitation(db, "x".repeat(32), {
                  surveyId: surveys[i.survey]!.id,
                  contactId: contact.id,
                  clientId: client.id,
                  workItemId: null,
                  status: i.at === null ? "scheduled" : "sent",
                  sentAt: i.at === null ? null : new Date(base + i.at * DAY),
                });
              }
            }
          }
          const filters: Partial<Record<Dim, string[]>> = {
            ...(q.team ? { team: q.team.map((i) => teams[i]!.key) } : {}),
            ...(q.member ? { member: q.member.map((i) => members[i]!.externalId) } : {}),
            ...(q.board ? { board: q.board } : {}),
            ...(q.survey ? { survey: q.survey.map((i) => surveys[i]!.key) } : {}),
          };
          const dates = `from=${new Date(base + q.start * DAY).toISOString()}&to=${new Date(
            base + (q.start + q.length) * DAY,
          ).toISOString()}`;
          const query =
            dates +
            Object.entries(filters)
              .map(([d, v]) => `&${d}=${encodeURIComponent(v.join(","))}`)
              .join("") +
            (q.groupBy.length ? `&groupBy=${q.groupBy.join(",")}` : "") +
            (q.interval ? `&interval=${q.interval}` : "");
          const api = await retention(query);
          const rows = await allRows();
          // The overall figure: each client once.
          const whole = expected(rows, new Date(api.from), new Date(api.to), [], filters).get(
            "[]",
          ) ?? { atStart: 0, kept: 0 };
          expect(api.overall.counts).toEqual({
            activeAtStart: whole.atStart,
            stillActive: whole.kept,
          });
          // Bucket edges as the plain series lists them.
          const edges = q.interval
            ? (await retention(`${dates}&interval=${q.interval}`)).groups.map((g) => g.bucketStart!)
            : [api.from];
          const want = new Map<string, { atStart: number; kept: number }>();
          for (const [index, start] of edges.entries()) {
            const end = edges[index + 1] ?? api.to;
            for (const [key, figure] of expected(
              rows,
              new Date(start),
              new Date(end),
              q.groupBy,
              filters,
            )) {
              want.set(JSON.stringify([q.interval ? start : "", key]), figure);
            }
          }
          if (q.groupBy.length === 0 && q.interval) {
            // A plain series lists its empty buckets too.
            for (const start of edges) {
              const id = JSON.stringify([start, "[]"]);
              if (!want.has(id)) want.set(id, { atStart: 0, kept: 0 });
            }
          }
          const got = new Map(
            api.groups.map((g) => [
              JSON.stringify([
                q.interval ? g.bucketStart : "",
                JSON.stringify(q.groupBy.map((d) => g.key[d])),
              ]),
              { atStart: g.counts.activeAtStart, kept: g.counts.stillActive },
            ]),
          );
          if (q.groupBy.length === 0 && !q.interval) expect(api.groups).toEqual([]);
          else expect(got).toEqual(want);
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 60), seed: Number(process.env.SEED ?? 6) },
    );
  });
});
