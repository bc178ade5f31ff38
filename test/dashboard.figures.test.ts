import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, dashboardCookie, type TestApp } from "./support/app.ts";
import {
  createClient,
  createContact,
  createInvitation,
  createMember,
  createOpenFollowups,
  createResponse,
  createSurvey,
  createSurveyedWork,
  createTeam,
  createTouch,
  createWorkItem,
  recordResponseChange,
} from "./support/factories.ts";

let t: TestApp;
let reader: string;
let cookie: string;

/** Figures on a page: `data-metric`/`data-value`/`data-n` of each card. */
function cardsOf(html: string) {
  const cards = new Map<string, { value: number | null; n: number }>();
  for (const match of html.matchAll(
    /data-metric="([^"]+)" data-value="([^"]*)" data-n="([^"]+)"/g,
  )) {
    cards.set(match[1]!, {
      value: match[2] === "" ? null : Number(match[2]),
      n: Number(match[3]),
    });
  }
  return cards;
}

function windowOf(html: string) {
  const match = /from=(\d{4}-\d{2}-\d{2})&amp;to=(\d{4}-\d{2}-\d{2})/.exec(html);
  if (!match) throw new Error("no window on the page");
  return { from: match[1]!, to: match[2]! };
}

async function api(path: string) {
  const response = await t.request(path, { key: reader });
  expect(response.status, path).toBe(200);
  return response.json();
}

beforeAll(async () => {
  t = await createTestApp();
  reader = await t.key("metrics:read");
  const secret = await appSecret(t.ctx);
  const desk = await createTeam(t.ctx.db, { key: "help-desk", name: "Help Desk" });
  const projects = await createTeam(t.ctx.db, { key: "projects", name: "Projects" });
  const ana = await createMember(t.ctx.db, {
    teamId: desk.id,
    name: "Ana Desk",
    externalId: "ana",
  });
  const bo = await createMember(t.ctx.db, {
    teamId: projects.id,
    name: "Bo Proj",
    externalId: "bo",
  });
  const csat = await createSurvey(t.ctx.db, { scale: "csat3" });
  const nps = await createSurvey(t.ctx.db, { scale: "nps" });
  const client = await createClient(t.ctx.db, { activeSince: new Date("2025-01-01T00:00:00Z") });
  await createClient(t.ctx.db, {
    activeSince: new Date("2025-01-01T00:00:00Z"),
    endedAt: new Date("2026-10-10T00:00:00Z"),
  });
  const contact = await createContact(t.ctx.db, { clientId: client.id });
  const plan: Array<[string, number, "csat3" | "nps", boolean]> = [
    ["2026-09-14T10:00:00Z", 3, "csat3", false],
    ["2026-10-05T10:00:00Z", 1, "csat3", true],
    ["2026-10-20T10:00:00Z", 3, "csat3", false],
    ["2026-11-02T10:00:00Z", 2, "csat3", true],
    ["2026-11-16T10:00:00Z", 3, "csat3", false],
    ["2026-10-12T10:00:00Z", 10, "nps", false],
    ["2026-11-10T10:00:00Z", 4, "nps", true],
  ];
  for (const [at, score, scale, bothTeams] of plan) {
    const workItem = await createWorkItem(t.ctx.db, { clientId: client.id });
    await createTouch(t.ctx.db, { workItemId: workItem.id, memberId: ana.id, teamId: desk.id });
    if (bothTeams) {
      await createTouch(t.ctx.db, {
        workItemId: workItem.id,
        memberId: bo.id,
        teamId: projects.id,
      });
    }
    const { invitation } = await createInvitation(t.ctx.db, secret, {
      surveyId: scale === "csat3" ? csat.id : nps.id,
      contactId: contact.id,
      clientId: client.id,
      workItemId: workItem.id,
      sentAt: new Date(new Date(at).getTime() - 3_600_000),
    });
    await createResponse(t.ctx.db, {
      invitationId: invitation.id,
      surveyId: invitation.surveyId,
      clientId: client.id,
      workItemId: workItem.id,
      scale,
      score,
      respondedAt: new Date(at),
    });
  }
  cookie = await dashboardCookie(t, reader);
});
afterAll(() => t.close());

async function page(path: string) {
  const response = await t.request(path, { headers: { cookie } });
  expect(response.status, path).toBe(200);
  return response.text();
}

describe("dashboard figures", () => {
  it("the overview shows the figures the metrics API gives for the same window", async () => {
    const html = await page("/dashboard");
    const { from, to } = windowOf(html);
    const cards = cardsOf(html);
    expect([...cards.keys()]).toEqual(["csat", "nps", "response-rate", "retention"]);
    for (const metric of ["csat", "nps", "response-rate", "retention"]) {
      const body = await api(`/v1/metrics/${metric}?from=${from}&to=${to}`);
      expect(cards.get(metric), metric).toEqual({ value: body.overall.value, n: body.overall.n });
    }
    expect(cards.get("csat")!.n).toBe(5);
    expect(html).toContain("<svg");
    expect(html).toContain("<polyline");
  });

  it("a team page and a member page show their own figures, as the API filters them", async () => {
    const html = await page("/dashboard/teams/projects");
    const { from, to } = windowOf(html);
    const csat = await api(`/v1/metrics/csat?from=${from}&to=${to}&team=projects`);
    expect(cardsOf(html).get("csat")).toEqual({ value: csat.overall.value, n: csat.overall.n });
    expect(csat.overall.n).toBe(2);
    expect(html).toContain("Bo Proj");
    const member = await page("/dashboard/members/ana");
    const mine = await api(`/v1/metrics/nps?from=${from}&to=${to}&member=ana`);
    expect(cardsOf(member).get("nps")).toEqual({ value: mine.overall.value, n: mine.overall.n });
    expect(mine.overall.n).toBe(2);
  });

  it("the escalation view matches the API's split", async () => {
    const html = await page("/dashboard/escalations");
    const { from, to } = windowOf(html);
    const body = await api(`/v1/metrics/escalation?from=${from}&to=${to}`);
    const multi = body.groups.find((g: { escalation: string }) => g.escalation === "multi-team");
    const row = /data-escalation="multi-team">(.*?)<\/tr>/s.exec(html)?.[1] ?? "";
    const cells = [...row.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(cells[1]).toBe(String(multi.csat.n));
    expect(Number(cells[0])).toBeCloseTo(multi.csat.value, 1);
  });

  it("the goals page shows what the attainment API answers", async () => {
    const admin = await t.key("admin");
    await t.request("/v1/goals", {
      key: admin,
      json: { team: "help-desk", metric: "csat", target: 60, periodKind: "quarter", minN: 2 },
    });
    const html = await page("/dashboard/goals?period=2026-Q4");
    const body = await api("/v1/goals/attainment?period=2026-Q4");
    const [entry] = body.data;
    expect(entry.status).toBe("not_met");
    const row = new RegExp(`data-goal="${entry.goal.id}">(.*?)</tr>`, "s").exec(html)?.[1] ?? "";
    expect(row).toContain(`data-value="${entry.value}"`);
    expect(row).toContain(`data-n="${entry.n}"`);
    expect(row).toContain(`>${Math.round(entry.value * 10) / 10}<`);
    expect(row).toContain("not met");
  });
});

// Pages read on a fixed day (Wednesday 2026-11-18), each test with data of its own.
describe("dashboard pages on a given day", () => {
  let lead: TestApp;
  let leadCookie: string;
  let leadAdmin: string;

  beforeAll(async () => {
    lead = await createTestApp();
    lead.clock.set("2026-11-18T17:00:00Z");
    leadAdmin = await lead.key("admin");
    leadCookie = await dashboardCookie(lead, leadAdmin);
  });
  afterAll(() => lead.close());

  /** A page as a team lead reads it on 2026-11-18, signed in with an admin key. */
  async function leadPage(path: string) {
    const response = await lead.request(path, { headers: { cookie: leadCookie } });
    expect(response.status).toBe(200);
    return response.text();
  }

  describe("dashboard figures and labels", () => {
    it("the trend line says 'vs the week before' only when it compares with the week before", async () => {
      const team = await createTeam(lead.ctx.db, { key: "trend-team", name: "Trend Team" });
      const member = await createMember(lead.ctx.db, { teamId: team.id });
      const survey = await createSurvey(lead.ctx.db, { scale: "csat3" });
      const client = await createClient(lead.ctx.db);
      // A happy answer three weeks ago, none in the two weeks between, an unhappy one this week.
      for (const [score, at] of [
        [3, "2026-10-27T10:00:00Z"],
        [1, "2026-11-17T10:00:00Z"],
      ] as const) {
        const workItem = await createWorkItem(lead.ctx.db, { clientId: client.id });
        await createTouch(lead.ctx.db, {
          workItemId: workItem.id,
          memberId: member.id,
          teamId: team.id,
        });
        await recordResponseChange(lead.ctx, {
          surveyId: survey.id,
          clientId: client.id,
          workItemId: workItem.id,
          scale: "csat3",
          score,
          respondedAt: new Date(at),
        });
      }
      const html = await leadPage("/dashboard/teams/trend-team");
      const card = /data-metric="csat"(.*?)<\/section>/s.exec(html)?.[1] ?? "";
      // The week before this one (from 2026-11-09) had no answers: there is nothing to compare with.
      expect(card).not.toContain("vs the week before");
    });

    it("the window's label does not end on a day that has not begun", async () => {
      // Wednesday 2026-11-18: the window is [2026-08-31, 2026-11-19), today included.
      const html = await leadPage("/dashboard");
      const label = /<p class="muted">(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d) \(UTC\)/.exec(html);
      expect(label?.[1]).toBe("2026-08-31");
      expect(label?.[2]).toBe("2026-11-18");
    });
  });

  describe("dashboard goals page", () => {
    it("says which period each goal's figures cover, and its own form shows the same goals", async () => {
      const team = await createTeam(lead.ctx.db, { key: "goal-team", name: "Goal Team" });
      for (const periodKind of ["month", "quarter"]) {
        const created = await lead.request("/v1/goals", {
          key: leadAdmin,
          json: { team: team.key, metric: "csat", target: 80, periodKind, minN: 1 },
        });
        expect(created.status).toBe(201);
      }
      const shown = await leadPage("/dashboard/goals");
      expect(shown).toContain("<h1>Goals · 2026-11</h1>");
      const rows = [...shown.matchAll(/<tr[^>]*data-goal="[^"]+"[^>]*>(.*?)<\/tr>/gs)].map(
        (m) => m[1]!,
      );
      expect(rows).toHaveLength(2);
      // One row is the quarter's figure (2026-Q4) shown under the heading "2026-11": it must say so.
      expect(rows.some((row) => row.includes("2026-Q4"))).toBe(true);
      // The page's own form is prefilled with "2026-11"; sending it must not lose a goal.
      const resubmitted = await leadPage("/dashboard/goals?period=2026-11");
      const again = [...resubmitted.matchAll(/data-goal="([^"]+)"/g)].length;
      expect(again).toBe(rows.length);
    });
  });

  describe("dashboard follow-ups", () => {
    it("keeps the team filter when switching state, and says the list is one team's", async () => {
      const work = await createSurveyedWork(lead.ctx.db, "csat3");
      await recordResponseChange(lead.ctx, {
        surveyId: work.survey.id,
        clientId: work.client.id,
        workItemId: work.workItem.id,
        scale: "csat3",
        score: 1,
        respondedAt: lead.clock.now(),
      });
      const teamPage = await leadPage(`/dashboard/teams/${work.teamA.key}`);
      const link = /href="(\/dashboard\/followups\?state=open[^"]*)"/.exec(teamPage)?.[1] ?? "";
      expect(link).toContain(`team=${work.teamA.key}`);
      const list = await leadPage(link.replaceAll("&amp;", "&"));
      const nav = /<nav class="states"[^>]*>(.*?)<\/nav>/s.exec(list)?.[1] ?? "";
      const tabs = [...nav.matchAll(/href="(\/dashboard\/followups\?state=[^"]*)"/g)].map(
        (m) => m[1]!,
      );
      expect(tabs.length).toBe(5);
      for (const tab of tabs) expect(tab).toContain(`team=${work.teamA.key}`);
      expect(list).toContain(work.teamA.name);
    });

    it("the resolve form asks for its note in the browser instead of failing on an error page", async () => {
      const work = await createSurveyedWork(lead.ctx.db, "csat3");
      await recordResponseChange(lead.ctx, {
        surveyId: work.survey.id,
        clientId: work.client.id,
        workItemId: work.workItem.id,
        scale: "csat3",
        score: 1,
        respondedAt: lead.clock.now(),
      });
      const list = await leadPage("/dashboard/followups?state=open");
      const note = /<input[^>]*name="note"[^>]*>/.exec(list)?.[0] ?? "";
      expect(note).not.toBe("");
      // The server refuses a resolve without a note (400 page); the field must say it is required.
      expect(note).toMatch(/\srequired(=""|\s|\/?>)/);
    });

    it("counts every open and overdue follow-up on the overview, and lists all of them", async () => {
      const fresh = await createTestApp();
      try {
        fresh.clock.set("2026-11-18T17:00:00Z");
        const key = await fresh.key("admin");
        const session = await dashboardCookie(fresh, key);
        const survey = await createSurvey(fresh.ctx.db, { scale: "csat3" });
        const client = await createClient(fresh.ctx.db);
        const total = 520;
        const overdue = 60;
        // Newest first: the oldest 60 are past their due time.
        await createOpenFollowups(fresh.ctx.db, {
          surveyId: survey.id,
          clientId: client.id,
          now: fresh.clock.now(),
          total,
          overdue,
        });
        const api = await (
          await fresh.request("/v1/followups?state=open&overdue=true&limit=100", { key })
        ).json();
        expect(api.data).toHaveLength(overdue);

        const overview = await (
          await fresh.request("/dashboard", { headers: { cookie: session } })
        ).text();
        expect(overview).toContain(`${total} open follow-ups`);
        expect(overview).toContain(`${overdue} overdue`);

        // The follow-ups page either lists them all or links to the rest.
        const list = await (
          await fresh.request("/dashboard/followups?state=open", {
            headers: { cookie: session },
          })
        ).text();
        const listed = [...list.matchAll(/<tr[^>]*data-followup=/g)].length;
        const hasNextPage = /href="\/dashboard\/followups\?[^"]*cursor=/.test(list);
        expect(listed === total || hasNextPage).toBe(true);
      } finally {
        await fresh.close();
      }
    });
  });
});
