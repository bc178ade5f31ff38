import { mkdir } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSurveyEmail } from "../src/emails/render.ts";
import { sampleEmail, scoreUrls, templateNames } from "../src/emails/samples.ts";
import { launchBrowser, skipWithoutChromium } from "./support/browser.ts";

const SCREENSHOTS = "test-results/emails";

describe.skipIf(skipWithoutChromium)("survey emails in a real browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(() => browser?.close());

  // German has the longest words of the shipped languages: it is checked on the narrow screen.
  const layouts = [
    { locale: "en-US", width: 320 },
    { locale: "en-US", width: 800 },
    { locale: "de-DE", width: 320 },
  ];
  for (const name of templateNames) {
    for (const { locale, width } of layouts) {
      it(`every score link of the ${name} email (${locale}) is visible and on screen at ${width} px`, async () => {
        const input = sampleEmail(name, {
          locale,
          branding: {
            ...sampleEmail(name).branding,
            companyName: "Northwind IT",
            logoUrl: "https://logo.example/northwind.png",
            footerAddress: "Northwind IT GmbH\nHauptstraße 1\n1010 Wien",
          },
        });
        const email = await renderSurveyEmail(input);
        const context = await browser.newContext({ viewport: { width, height: 900 } });
        try {
          const page = await context.newPage();
          // An email is looked at offline: the logo must not be fetched, and nothing else either.
          await page.route("**/*", (route) => route.abort());
          await page.setContent(email.html, { waitUntil: "load" });

          for (const url of scoreUrls(input)) {
            const link = page.locator(`a[href="${url}"]`);
            await expect(link.count()).resolves.toBe(1);
            expect(await link.isVisible(), url).toBe(true);
            const box = await link.boundingBox();
            expect(box, url).not.toBeNull();
            expect(box!.x, url).toBeGreaterThanOrEqual(0);
            expect(box!.x + box!.width, url).toBeLessThanOrEqual(width);
            expect(box!.width, url).toBeGreaterThan(0);
            expect(await link.getAttribute("aria-label"), url).toBeTruthy();
            // The label fits its button: nothing spills over the next one.
            const spill = await link.evaluate((a) => a.scrollWidth - a.clientWidth);
            expect(spill, url).toBeLessThanOrEqual(0);
          }
          const unsubscribe = page.locator(`a[href="${input.baseUrl}/u/${input.token}"]`);
          expect(await unsubscribe.isVisible()).toBe(true);
          const unsubscribeBox = await unsubscribe.boundingBox();
          expect(unsubscribeBox!.x + unsubscribeBox!.width).toBeLessThanOrEqual(width);

          // Nothing makes the page wider than the screen (no sideways scrolling).
          const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
          expect(scrollWidth).toBeLessThanOrEqual(width);
          expect(await page.locator("img").getAttribute("alt")).toBe("Northwind IT");

          await page.screenshot({
            path: `${SCREENSHOTS}/${name}-${locale}-${width}.png`,
            fullPage: true,
          });
          await page.emulateMedia({ colorScheme: "dark" });
          await page.screenshot({
            path: `${SCREENSHOTS}/${name}-${locale}-${width}-dark.png`,
            fullPage: true,
          });
        } finally {
          await context.close();
        }
      });
    }
  }

  it("in dark mode the text turns light on a dark card", async () => {
    const email = await renderSurveyEmail(sampleEmail("csat3"));
    const context = await browser.newContext({
      viewport: { width: 320, height: 900 },
      colorScheme: "dark",
    });
    try {
      const page = await context.newPage();
      await page.setContent(email.html);
      const colors = await page.evaluate(() => {
        const card = document.querySelector(".rp-card") as HTMLElement;
        const text = document.querySelector(".rp-text") as HTMLElement;
        return {
          card: getComputedStyle(card).backgroundColor,
          text: getComputedStyle(text).color,
        };
      });
      expect(colors.card).toBe("rgb(31, 41, 55)");
      expect(colors.text).toBe("rgb(243, 244, 246)");
    } finally {
      await context.close();
    }
  });

  it("in dark mode a blocked logo's alt text stays light, and the card keeps its accent bar", async () => {
    const input = sampleEmail("csat3", {
      branding: {
        ...sampleEmail("csat3").branding,
        companyName: "Northwind IT",
        logoUrl: "https://logo.example/northwind.png",
        accentColor: "#0a7d4f",
      },
    });
    const email = await renderSurveyEmail(input);
    const context = await browser.newContext({
      viewport: { width: 320, height: 900 },
      colorScheme: "dark",
    });
    try {
      const page = await context.newPage();
      // Most mail apps block images until asked: the company name is the alt text.
      await page.route("**/*", (route) => route.abort());
      await page.setContent(email.html, { waitUntil: "load" });
      const colors = await page.evaluate(() => {
        const card = getComputedStyle(document.querySelector(".rp-card") as HTMLElement);
        return {
          alt: getComputedStyle(document.querySelector("img") as HTMLElement).color,
          top: card.borderTopColor,
          side: card.borderLeftColor,
        };
      });
      expect(colors.alt).toBe("rgb(243, 244, 246)");
      expect(colors.top).toBe("rgb(10, 125, 79)");
      expect(colors.side).toBe("rgb(55, 65, 81)");
    } finally {
      await context.close();
    }
  });
});
