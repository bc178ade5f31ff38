import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeEmails } from "../src/delivery/compose.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { textFor } from "../src/surveys/texts.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createContact, createInvitation, createSurvey } from "./support/factories.ts";

describe("a survey's text for a contact's language tag", () => {
  const texts = { en: "How did we do?", "de-AT": "Wie war der Einsatz?", de: "Wie war es?" };

  it("matches tags in any case, the most specific first, then the page's language", () => {
    expect(textFor(texts, "de-AT", "de")).toBe("Wie war der Einsatz?");
    expect(textFor(texts, "DE-at", "de")).toBe("Wie war der Einsatz?");
    expect(textFor({ "DE-AT": "Servus" }, "de-at", "de")).toBe("Servus");
    expect(textFor(texts, "de_CH", "de")).toBe("Wie war es?");
    expect(textFor(texts, "fr-FR", "en")).toBe("How did we do?");
    expect(textFor({ fr: "Comment" }, null, "en")).toBeUndefined();
  });
});

describe("survey texts for mixed-case tags reach the contact", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("the email asks the survey's de-AT question, the page its de-AT follow-up", async () => {
    const survey = await createSurvey(t.ctx.db, {
      scale: "csat5",
      questions: { en: "How was the visit?", "de-AT": "Wie war der Einsatz (AT)?" },
      followUpQuestions: { en: "What went wrong?", "de-AT": "Was ist schiefgelaufen (AT)?" },
    });
    const contact = await createContact(t.ctx.db, { locale: "de-AT" });
    const { invitation, token } = await createInvitation(t.ctx.db, await appSecret(t.ctx), {
      surveyId: survey.id,
      contactId: contact.id,
      clientId: contact.clientId,
      status: "scheduled",
      sentAt: null,
    });
    const [email] = await composeEmails({
      ctx: t.ctx,
      input: { kind: "survey", invitationIds: [invitation.id] },
    });
    expect(email!.text).toContain("Wie war der Einsatz (AT)?");

    t.clock.advance(60_000);
    const page = await t.request(`/r/${token}/1`, {
      headers: { "accept-language": "de-AT,de;q=0.9", "user-agent": "Mozilla/5.0 Firefox/140.0" },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Was ist schiefgelaufen (AT)?");
  });
});
