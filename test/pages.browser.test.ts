import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { responses } from "../src/db/schema/index.ts";
import { defaultBranding } from "../src/emails/branding.ts";
import { renderSurveyEmail } from "../src/emails/render.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { launchBrowser, skipWithoutChromium } from "./support/browser.ts";
import { createInvitation, createSurvey } from "./support/factories.ts";

// The person's own browser: an ordinary desktop Chrome, not the headless build's agent string.
const USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";

let t: TestApp;
let server: ServerType;
let baseUrl: string;
let browser: Browser;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  t.clock.set("2026-11-18T17:05:00Z");
  admin = await t.key("admin");
  server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }, () =>
      resolve(started),
    );
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!skipWithoutChromium) browser = await launchBrowser();
  mkdirSync("test-results", { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

describe.skipIf(skipWithoutChromium)("the survey in a real browser", () => {
  it("a click in the email opens the thank-you page, and a comment is stored", {
    timeout: 90_000,
  }, async () => {
    const secret = await appSecret(t.ctx);
    const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    const email = await renderSurveyEmail({
      variant: "survey",
      scale: "csat3",
      workItem: {
        kind: "ticket",
        externalId: "48213",
        summary: "Outlook keeps asking for password",
      },
      contactName: "Priya",
      locale: "en",
      technicians: ["Anna"],
      question: "How did we do?",
      baseUrl,
      token,
      branding: defaultBranding,
    });

    const context = await browser.newContext({
      viewport: { width: 320, height: 640 },
      userAgent: USER_AGENT,
      locale: "en-GB",
    });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.setContent(email.html);
    await page.screenshot({ path: "test-results/pages-email-320.png", fullPage: true });

    await Promise.all([
      page.waitForURL(`${baseUrl}/r/${token}/1`),
      page.click(`a[href="${baseUrl}/r/${token}/1"]`),
    ]);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Thank you for your feedback");
    expect(await page.locator(".answer").getAttribute("data-score")).toBe("1");
    // An unhappy answer asks the survey's follow-up question.
    expect(await page.locator("label[for=comment]").textContent()).toBe(
      "What should we have done differently?",
    );
    await page.screenshot({ path: "test-results/pages-thank-you-320.png", fullPage: true });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(320);

    const storedResponse = async () =>
      (await t.ctx.db.select().from(responses).where(eq(responses.invitationId, invitation.id)))[0];
    // Follows the page's (relative) link to another score; the page shows it.
    const chooseOnPage = async (score: number) => {
      await Promise.all([
        page.waitForURL(`${baseUrl}/r/${token}/${score}`),
        page.click(`a[href="${score}"]`),
      ]);
      expect(await page.locator(".answer").getAttribute("data-score")).toBe(String(score));
    };

    // Changing the answer from the page within seconds is a person, not a scanner burst.
    await chooseOnPage(2);
    expect(await storedResponse()).toMatchObject({ state: "recorded", score: 2 });
    await chooseOnPage(1);

    await page.fill("#comment", "The fix took <two> visits & a call.");
    await Promise.all([
      page.waitForURL(`${baseUrl}/r/${token}/comment`),
      page.click("button[type=submit]"),
    ]);
    expect(await page.locator("[role=status]").textContent()).toContain(
      "your comment has been saved",
    );
    expect(await page.locator("blockquote").textContent()).toBe(
      "The fix took <two> visits & a call.",
    );
    await page.screenshot({ path: "test-results/pages-comment-saved-320.png", fullPage: true });
    expect(violations).toEqual([]);

    expect(await storedResponse()).toMatchObject({
      state: "recorded",
      score: 1,
      comment: "The fix took <two> visits & a call.",
    });

    // The page a comment returns is at /r/{token}/comment: its relative links still lead to
    // this invitation's scores.
    await chooseOnPage(3);
    expect(await storedResponse()).toMatchObject({ state: "recorded", score: 3 });
    await context.close();
  });
});

/** WCAG contrast ratio of the computed text colour on the computed background of `selector`. */
async function contrastOf(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const style = getComputedStyle(element);
      const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const channel = (v: number) => {
          const s = v / 255;
          return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * channel(r!) + 0.7152 * channel(g!) + 0.0722 * channel(b!);
      };
      const a = luminance(rgb(style.color));
      const b = luminance(rgb(style.backgroundColor));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
}

describe.skipIf(skipWithoutChromium)("public pages in Chromium", () => {
  it("keeps the button and the chosen answer readable on a light accent colour", {
    timeout: 60_000,
  }, async () => {
    const saved = await t.request("/v1/settings/branding", {
      method: "PUT",
      key: admin,
      json: {
        companyName: "Sunny IT",
        accentColor: "#facc15",
        fromAddress: "surveys@sunny.example",
      },
    });
    expect(saved.status).toBe(200);
    // Branding is kept for up to 5 s per process.
    t.clock.advance(10_000);
    const secret = await appSecret(t.ctx);
    const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
    const { token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    t.clock.advance(60_000);
    const context = await browser.newContext({
      viewport: { width: 320, height: 640 },
      userAgent: USER_AGENT,
      locale: "en-GB",
    });
    try {
      const page = await context.newPage();
      await page.goto(`${baseUrl}/r/${token}/3`);
      expect(await page.locator("h1").textContent()).toBe("Thank you for your feedback");
      // WCAG AA for normal-size text: 4.5:1. White on #facc15 is about 1.5:1.
      expect(await contrastOf(page, "button[type=submit]")).toBeGreaterThanOrEqual(4.5);
      expect(await contrastOf(page, ".scores a[aria-current]")).toBeGreaterThanOrEqual(4.5);
    } finally {
      await context.close();
      await t.request("/v1/settings/branding", {
        method: "PUT",
        key: admin,
        json: { companyName: "Rapport", fromAddress: "surveys@rapport.example" },
      });
      t.clock.advance(10_000);
    }
  });
});
