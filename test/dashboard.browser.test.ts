import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followups } from "../src/db/schema/index.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { launchBrowser, skipWithoutChromium } from "./support/browser.ts";
import {
  createClient,
  createMember,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
  recordAnswer,
  recordResponseChange,
} from "./support/factories.ts";

const SCREENSHOTS = "test-results/dashboard";

let t: TestApp;
let browser: Browser;
let server: ReturnType<typeof serve>;
let baseUrl: string;
let reader: string;
let admin: string;

beforeAll(async () => {
  if (skipWithoutChromium) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  t = await createTestApp();
  // Signs in as a team lead would: figures, follow-ups to read and to resolve.
  reader = await t.key("metrics:read", "responses:read", "surveys:write");
  admin = await t.key("admin");
  const team = await createTeam(t.ctx.db, { key: "help-desk", name: "Help Desk" });
  const member = await createMember(t.ctx.db, { teamId: team.id, name: "Ana Desk" });
  const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
  const client = await createClient(t.ctx.db, { name: "Acme Dental" });
  for (const [score, at, comment] of [
    [3, "2026-11-02T10:00:00Z", "Fixed in minutes"],
    [3, "2026-11-09T10:00:00Z", null],
    [1, "2026-11-17T10:00:00Z", "Printer still jams"],
  ] as const) {
    const workItem = await createWorkItem(t.ctx.db, { clientId: client.id });
    await createTouch(t.ctx.db, { workItemId: workItem.id, memberId: member.id, teamId: team.id });
    await recordResponseChange(t.ctx, {
      surveyId: survey.id,
      clientId: client.id,
      workItemId: workItem.id,
      scale: "csat3",
      score,
      comment,
      respondedAt: new Date(at),
    });
  }
  server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.close();
});

describe.skipIf(skipWithoutChromium)("the dashboard in a browser", () => {
  it("signs in, shows the API's figures, and resolves a follow-up", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") scriptErrors.push(message.text());
    });

    await page.goto(`${baseUrl}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await page.screenshot({ path: `${SCREENSHOTS}/sign-in.png`, fullPage: true });
    await page.fill("#key", reader);
    await Promise.all([page.waitForURL(`${baseUrl}/dashboard`), page.click("button[type=submit]")]);

    const card = page.locator('[data-metric="csat"]');
    const shown = await card.getAttribute("data-value");
    const window = await page.locator("code").first().textContent();
    const [, from, to] = /from=([\d-]+)&to=([\d-]+)/.exec(window ?? "") ?? [];
    const api = await (
      await t.request(`/v1/metrics/csat?from=${from}&to=${to}`, { key: reader })
    ).json();
    expect(Number(shown)).toBe(api.overall.value);
    expect(await card.locator(".figure").textContent()).toBe(
      `${Math.round(api.overall.value * 10) / 10}%`,
    );
    expect(await page.locator("svg.chart").count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: `${SCREENSHOTS}/overview.png`, fullPage: true });

    await page.click("header >> text=Follow-ups");
    await page.click("tr[data-followup] a");
    expect(await page.locator("h1 .status").textContent()).toBe("open");
    await page.fill('input[name="note"]', "Sent a technician on site");
    await page.screenshot({ path: `${SCREENSHOTS}/followup-open.png`, fullPage: true });
    await Promise.all([page.waitForLoadState("load"), page.click("text=Resolve")]);
    await page.waitForSelector("h1 .status-resolved");
    expect(await page.locator("blockquote").textContent()).toContain("Sent a technician on site");
    await page.screenshot({ path: `${SCREENSHOTS}/followup-resolved.png`, fullPage: true });

    const api2 = await (
      await t.request("/v1/followups?state=resolved", { key: await t.key("admin") })
    ).json();
    expect(api2.data).toHaveLength(1);

    await page.click("text=Sign out");
    await page.waitForURL(`${baseUrl}/dashboard/sign-in`);
    await page.goto(`${baseUrl}/dashboard/goals`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    expect(scriptErrors).toEqual([]);
    await context.close();
  });
});

describe.skipIf(skipWithoutChromium)("the dashboard on a 320 px phone", () => {
  it("no dashboard page scrolls sideways", { timeout: 90_000 }, async () => {
    const { work, response } = await recordAnswer(t.ctx, {
      score: 1,
      comment: "The printer still jams every morning",
      respondedAt: t.clock.now(),
    });
    await t.request("/v1/goals", {
      key: admin,
      json: { team: work.teamA.key, metric: "csat", target: 80, periodKind: "month", minN: 1 },
    });
    const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
    try {
      const page = await context.newPage();
      await page.goto(`${baseUrl}/dashboard/sign-in`);
      await page.fill("#key", admin);
      await Promise.all([page.waitForURL(`${baseUrl}/dashboard`), page.click("main button")]);
      const [followup] = await t.ctx.db
        .select({ id: followups.id })
        .from(followups)
        .where(eq(followups.responseId, response.id));
      // A note with a PSA link, which has no space to wrap at.
      const noted = await t.request(`/v1/followups/${followup!.id}`, {
        key: admin,
        method: "PATCH",
        json: {
          state: "acknowledged",
          note: "Called back, see https://psa.example.com/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=123456789&companyName=acme",
        },
      });
      expect(noted.status).toBe(200);
      const overflowing: string[] = [];
      for (const path of [
        "/dashboard",
        "/dashboard/teams",
        `/dashboard/teams/${work.teamA.key}`,
        "/dashboard/escalations",
        "/dashboard/followups",
        `/dashboard/followups/${followup!.id}`,
        "/dashboard/goals",
        `/dashboard/responses/${response.id}`,
      ]) {
        await page.goto(`${baseUrl}${path}`);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        if (width > 320) overflowing.push(`${path}: ${width}px`);
      }
      expect(overflowing).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
