import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clicks, responses } from "../src/db/schema/index.ts";
import { pageStylesheetPath } from "../src/pages/layout.tsx";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createContact, createInvitation, createSurvey } from "./support/factories.ts";

const PERSON = {
  "user-agent":
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "accept-language": "en-GB,en;q=0.9",
};

let t: TestApp;
let secret: string;
beforeAll(async () => {
  t = await createTestApp();
  secret = await appSecret(t.ctx);
});
afterAll(() => t.close());
// Invitations are sent at 17:00; people read their mail a few minutes later.
beforeEach(() => t.clock.set("2026-11-18T17:05:00Z"));

const click = (token: string, score: number | string, headers: Record<string, string> = PERSON) =>
  t.request(`/r/${token}/${score}`, { headers });

async function responseFor(invitationId: string) {
  return t.ctx.db.select().from(responses).where(eq(responses.invitationId, invitationId));
}

describe("a person's click", () => {
  it("pages carry no inline style: their stylesheet comes from this origin, cached for good", async () => {
    const { token } = await createInvitation(t.ctx.db, secret);
    for (const path of [`/r/${token}/4`, `/u/${token}`, "/r/unknown-token/4"]) {
      const page = await t.request(path, { headers: PERSON });
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toMatch(/nonce|unsafe-inline/);
      const html = await page.text();
      expect(html).not.toMatch(/<style|style=/);
      expect(html).toContain(`<link rel="stylesheet" href="${pageStylesheetPath("#2563eb")}"/>`);
    }

    const sheet = await t.request(pageStylesheetPath("#2563eb"));
    expect(sheet.status).toBe(200);
    expect(sheet.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(sheet.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const css = await sheet.text();
    expect(css).toContain("--accent:#2563eb;--on-accent:#ffffff");
    expect(css).toContain(".scores a[aria-current]");

    // Another brand colour is another file; a light one gets dark text on it.
    const amber = await t.request(pageStylesheetPath("#FBBF24"));
    expect(amber.status).toBe(200);
    expect(await amber.text()).toContain("--accent:#fbbf24;--on-accent:#111827");
    // A page from an earlier release still gets the current stylesheet, cached briefly.
    const old = await t.request("/assets/pages/2563eb.000000000000.css");
    expect(old.status).toBe(200);
    expect(old.headers.get("cache-control")).toBe("public, max-age=300");
    expect(await old.text()).toBe(css);
    for (const name of ["2563eb.css", "red.000000000000.css", "2563eb.000000000000.css.map"]) {
      expect((await t.request(`/assets/pages/${name}`)).status).toBe(404);
    }
  });

  it("pages of the same shape carry each invitation's own form token, and no token in links", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const first = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    const second = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    const pages = [];
    for (const { token } of [first, second, first]) {
      const page = await click(token, 4);
      expect(page.status).toBe(200);
      const html = await page.text();
      pages.push({ token, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] });
    }
    const [a, b, again] = pages;
    // Links are relative to the page's own address, /r/{token}/{score}: no token is repeated.
    expect(b!.html).toContain('href="1"');
    expect(b!.html).toContain('action="comment"');
    for (const page of pages) {
      expect(page.html).not.toContain(first.token);
      expect(page.html).not.toContain(second.token);
    }
    expect(a!.csrf).toBe(again!.csrf);
    expect(a!.csrf).not.toBe(b!.csrf);
    // The form token of the second page posts a comment on the second invitation.
    const posted = await t.request(`/r/${second.token}/comment`, {
      method: "POST",
      body: new URLSearchParams({ csrf: b!.csrf!, score: "4", comment: "Quick fix" }).toString(),
      headers: {
        ...PERSON,
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://rapport.test",
      },
    });
    expect(posted.status).toBe(200);
    const [stored] = await responseFor(second.invitation.id);
    expect(stored?.comment).toBe("Quick fix");
  });

  it("records the score and shows a thank-you page with a way to change it", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const page = await click(token, 3);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("Thank you for your feedback");
    expect(html).toContain('data-score="3"');
    expect(html).toContain('href="1"');
    expect(html).toContain('action="comment"');
    expect(html).not.toContain("<script");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const [response] = await responseFor(invitation.id);
    expect(response).toMatchObject({
      score: 3,
      state: "recorded",
      scale: "csat3",
      source: "email",
    });
    const [evidence] = await t.ctx.db
      .select()
      .from(clicks)
      .where(eq(clicks.invitationId, invitation.id));
    expect(evidence).toMatchObject({ verdict: "recorded", userAgent: PERSON["user-agent"] });
    expect(evidence?.ipHash).toBeTruthy();
  });

  it("speaks German to a German contact and asks the follow-up question when unhappy", async () => {
    const contact = await createContact(t.ctx.db, { locale: "de-AT" });
    const survey = await createSurvey(t.ctx.db, {
      followUpQuestions: { en: "What went wrong?", de: "Was lief schief?" },
    });
    const { token } = await createInvitation(t.ctx.db, secret, {
      contactId: contact.id,
      clientId: contact.clientId,
      surveyId: survey.id,
    });
    const html = await (await click(token, 1)).text();
    expect(html).toContain('lang="de"');
    expect(html).toContain("Vielen Dank für Ihr Feedback");
    expect(html).toContain("Was lief schief?");
  });

  it("falls back to Accept-Language when the contact has no locale", async () => {
    const contact = await createContact(t.ctx.db, { locale: null });
    const { token } = await createInvitation(t.ctx.db, secret, {
      contactId: contact.id,
      clientId: contact.clientId,
    });
    const html = await (
      await click(token, 3, { ...PERSON, "accept-language": "de-DE,de;q=0.9" })
    ).text();
    expect(html).toContain('lang="de"');
    expect(html).not.toContain("What should we have done differently?");
  });

  it("a second click within the window changes the score; after the window it does not", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "nps", editWindowMinutes: 30 });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    await click(token, 9);
    t.clock.advance(60_000);
    const changed = await click(token, 4);
    expect(await changed.text()).toContain('data-score="4"');
    expect((await responseFor(invitation.id))[0]).toMatchObject({ score: 4, state: "recorded" });
    t.clock.advance(30 * 60_000);
    const late = await click(token, 10);
    const html = await late.text();
    expect(html).toContain('data-score="4"');
    expect(html).toContain("can no longer be changed");
    expect((await responseFor(invitation.id))[0]).toMatchObject({ score: 4, state: "recorded" });
    const verdicts = await t.ctx.db
      .select({ verdict: clicks.verdict })
      .from(clicks)
      .where(eq(clicks.invitationId, invitation.id));
    expect(verdicts.map((row) => row.verdict).sort()).toEqual(["changed", "final", "recorded"]);
  });

  it("scores outside the survey's scale are a friendly 400 page", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    for (const score of ["0", "6", "abc", "-1", "3.5"]) {
      const page = await click(token, score);
      expect(page.status).toBe(400);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(await page.text()).toContain("not on the scale");
    }
    expect(await responseFor(invitation.id)).toHaveLength(0);
  });

  it("fifty concurrent clicks on one invitation give one response", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const pages = await Promise.all(Array.from({ length: 50 }, () => click(token, 2)));
    expect(pages.every((page) => page.status === 200)).toBe(true);
    const rows = await responseFor(invitation.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ score: 2, state: "recorded" });
    const evidence = await t.ctx.db
      .select()
      .from(clicks)
      .where(eq(clicks.invitationId, invitation.id));
    expect(evidence).toHaveLength(50);
  });
});
