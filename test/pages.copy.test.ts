import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultBranding, readableOn } from "../src/emails/branding.ts";
import { renderDigestEmail } from "../src/emails/digest.tsx";
import { pageStylesheet, pageStylesheetPath } from "../src/pages/layout.tsx";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createContact, createInvitation, createSurvey } from "./support/factories.ts";

const PERSON = {
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
  "accept-language": "de-AT,de;q=0.9",
};

describe("the words people read", () => {
  let t: TestApp;
  let secret: string;
  beforeAll(async () => {
    t = await createTestApp();
    secret = await appSecret(t.ctx);
  });
  afterAll(() => t.close());

  it("a German page asks its own follow-up when the survey has only an English one", async () => {
    const survey = await createSurvey(t.ctx.db, {
      scale: "csat5",
      followUpQuestions: { en: "What could we have done better?" },
    });
    const contact = await createContact(t.ctx.db, { locale: "de-AT" });
    const { token } = await createInvitation(t.ctx.db, secret, {
      surveyId: survey.id,
      contactId: contact.id,
      clientId: contact.clientId,
    });
    t.clock.advance(60_000);
    const html = await (await t.request(`/r/${token}/1`, { headers: PERSON })).text();
    expect(html).toContain('<html lang="de"');
    expect(html).toContain("Möchten Sie noch etwas ergänzen? (optional)");
    expect(html).not.toContain("What could we have done better?");
  });

  it("confirming an answer without a comment says nothing of a comment saved", async () => {
    const { token } = await createInvitation(t.ctx.db, secret);
    const headers = { ...PERSON, "accept-language": "en-US,en;q=0.9" };
    t.clock.advance(60_000);
    const page = await (await t.request(`/r/${token}/2`, { headers })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
    const post = (comment: string) =>
      t.request(`/r/${token}/comment`, {
        method: "POST",
        body: new URLSearchParams({ csrf, score: "2", comment }).toString(),
        headers: {
          ...headers,
          "content-type": "application/x-www-form-urlencoded",
          origin: "http://rapport.test",
        },
      });
    const empty = await post("  ");
    expect(empty.status).toBe(200);
    expect(await empty.text()).not.toContain("your comment has been saved");
    expect(await (await post("Quick fix, thanks")).text()).toContain("your comment has been saved");
  });
});

describe("emails and the page stylesheet", () => {
  const digest = (teamName: string, footerAddress: string | null) =>
    renderDigestEmail(
      {
        team: { key: "sd", name: teamName },
        week: "2026-W48",
        from: new Date("2026-11-16T00:00:00Z"),
        to: new Date("2026-11-23T00:00:00Z"),
        timeZone: "UTC",
        figures: [],
        goals: [],
        followups: { open: 0, overdue: 0, oldest: [] },
        comments: [],
        dashboardUrl: "https://rapport.example/dashboard",
      },
      { ...defaultBranding, footerAddress },
    );

  it("a digest's subject is one line whatever the team is called", async () => {
    const { subject } = await digest("Service Desk\nBcc: someone@evil.example", null);
    expect(subject).toBe("Service Desk Bcc: someone@evil.example weekly digest 2026-W48");
  });

  it("the footer address keeps its lines in the digest and on pages", async () => {
    const { html } = await digest("Desk", "Northwind IT GmbH\nHauptstraße 1, 1010 Wien");
    expect(html).toMatch(/Northwind IT GmbH<\/span><span><br\/?>Hauptstra(ß|&#xDF;|&#223;)e 1/);
    const file = pageStylesheetPath("#0f766e").split("/").at(-1)!;
    expect(pageStylesheet(file)?.text).toMatch(/footer\{[^}]*white-space:pre-line/);
  });

  it("button text takes the colour with the higher contrast", () => {
    // #0284c7: 4.33:1 with #111827, 4.10:1 with white.
    expect(readableOn("#0284c7")).toBe("#111827");
    expect(readableOn("#1d4ed8")).toBe("#ffffff");
    expect(readableOn("#fde047")).toBe("#111827");
  });
});
