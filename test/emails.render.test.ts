import { describe, expect, it } from "vitest";
import { defaultBranding } from "../src/emails/branding.ts";
import { renderSurveyEmail } from "../src/emails/render.ts";
import { sampleEmail, scoreUrls, templateNames } from "../src/emails/samples.ts";

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;
const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("every template carries its score links and the unsubscribe link", () => {
  for (const name of templateNames) {
    it(`the ${name} email links each score exactly once, in HTML and in text`, async () => {
      const input = sampleEmail(name);
      const email = await renderSurveyEmail(input);
      const urls = scoreUrls(input);
      for (const url of urls) {
        expect(count(email.html, `href="${url}"`), url).toBe(1);
        expect(count(email.text, `${url}\n`), url).toBe(1);
      }
      // No score beyond the scale: every /r/ link is one of the expected ones.
      const surveyLinks = new RegExp(`${escapeRegExp(input.baseUrl)}/r/[^"\\s]+`, "g");
      expect(email.html.match(surveyLinks)?.sort()).toEqual([...urls].sort());
      expect(email.text.match(surveyLinks)?.sort()).toEqual([...urls].sort());

      const unsubscribe = `${input.baseUrl}/u/${input.token}`;
      expect(email.html).toContain(`href="${unsubscribe}"`);
      expect(email.text).toContain(unsubscribe);
      expect(email.headers).toEqual({
        "List-Unsubscribe": `<${unsubscribe}>`,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      });
      expect(email.html).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
    });
  }

  it("csat3 faces are labelled unhappy, neutral and happy for screen readers", async () => {
    const input = sampleEmail("csat3");
    const { html } = await renderSurveyEmail(input);
    const [one, two, three] = scoreUrls(input);
    expect(html).toMatch(new RegExp(`href="${escapeRegExp(one!)}"[^>]*aria-label="Unhappy`));
    expect(html).toMatch(new RegExp(`href="${escapeRegExp(two!)}"[^>]*aria-label="Neutral`));
    expect(html).toMatch(new RegExp(`href="${escapeRegExp(three!)}"[^>]*aria-label="Happy`));
  });

  it("NPS scores read as '7 out of 10' and the scale's ends are explained", async () => {
    const email = await renderSurveyEmail(sampleEmail("nps"));
    expect(email.html).toContain('aria-label="7 out of 10"');
    expect(email.html).toContain("0 = Not at all likely");
    expect(email.text).toContain("10 out of 10: https://surveys.example.com/r/");
  });

  it("a trailing slash on the base URL does not double the slash in links", async () => {
    const input = sampleEmail("csat5", { baseUrl: "https://surveys.example.com/" });
    const email = await renderSurveyEmail(input);
    expect(email.html).toContain(`href="https://surveys.example.com/r/${input.token}/5"`);
    expect(email.html).not.toContain("example.com//");
  });

  it("refuses a token that is not 1 to 32 URL-safe characters", async () => {
    await expect(renderSurveyEmail(sampleEmail("csat3", { token: "a/b" }))).rejects.toThrow();
    await expect(
      renderSurveyEmail(sampleEmail("csat3", { token: "x".repeat(33) })),
    ).rejects.toThrow();
    await expect(renderSurveyEmail(sampleEmail("csat3", { token: "" }))).rejects.toThrow();
  });
});

describe("subject and copy name the work and who did it", () => {
  it("a ticket survey asks about the ticket by number", async () => {
    const email = await renderSurveyEmail(sampleEmail("csat3"));
    expect(email.subject).toBe("How did we do on ticket #48213?");
    expect(email.text).toContain(
      "Anna Berg and Ben Okafor recently worked on your ticket #48213 “Outlook keeps asking for the password”.",
    );
    expect(email.html).toContain("Anna Berg and Ben Okafor recently worked on your ticket #48213");
    expect(email.text.startsWith("Hi Dana Whitfield,\n")).toBe(true);
  });

  it("a ticket with a number apart from its id is named by that number", async () => {
    const ticket = { kind: "ticket", externalId: "351182", summary: "Printer offline" } as const;
    const email = await renderSurveyEmail(
      sampleEmail("csat3", { workItem: { ...ticket, reference: "T20261118.0042" } }),
    );
    expect(email.subject).toBe("How did we do on ticket #T20261118.0042?");
    expect(email.text).toContain("your ticket #T20261118.0042 “Printer offline”");
    expect(email.text).not.toContain("351182");
    const withoutNumber = await renderSurveyEmail(
      sampleEmail("csat3", { workItem: { ...ticket, reference: null } }),
    );
    expect(withoutNumber.subject).toBe("How did we do on ticket #351182?");
  });

  it("a project survey names the project and everyone on it", async () => {
    const email = await renderSurveyEmail(sampleEmail("project"));
    expect(email.subject).toBe("How did we do on project #P-1042?");
    expect(email.text).toContain("Anna Berg, Ben Okafor, and Chiara Russo worked on it");
    expect(email.text).toContain("How satisfied are you with how the project went?");
  });

  for (const [locale, kind] of [
    ["en", "ticket"],
    ["en", "project"],
    ["de", "ticket"],
    ["de", "project"],
  ] as const) {
    it(`a ${kind} without a summary is named by its number alone, with no empty quotes (${locale})`, async () => {
      const email = await renderSurveyEmail(
        sampleEmail("csat3", { locale, workItem: { kind, externalId: "48213", summary: "" } }),
      );
      for (const part of [email.text, email.html]) {
        expect(part).not.toMatch(/“\s*”|„\s*“/);
        expect(part).toContain("#48213");
      }
    });
  }

  it("a reminder says so in the subject and the copy", async () => {
    const email = await renderSurveyEmail(sampleEmail("reminder"));
    expect(email.subject).toBe("Reminder: how did we do on ticket #48213?");
    expect(email.text).toContain("We have not heard from you yet");
  });

  it("a campaign survey without a work item asks about the company", async () => {
    const email = await renderSurveyEmail(sampleEmail("nps"));
    expect(email.subject).toBe("Would you recommend rapport?");
    expect(email.text).toContain("How likely are you to recommend rapport");
  });

  it("the survey's own question replaces the default one", async () => {
    const email = await renderSurveyEmail(
      sampleEmail("csat5", { question: "Was the fix quick enough?" }),
    );
    expect(email.html).toContain("Was the fix quick enough?");
    expect(email.text).toContain("Was the fix quick enough?");
    expect(email.text).not.toContain("How satisfied are you");
  });

  it("without names or technicians the copy stays polite", async () => {
    const email = await renderSurveyEmail(
      sampleEmail("csat3", { contactName: null, technicians: [" ", ""] }),
    );
    expect(email.text.startsWith("Hello,\n")).toBe(true);
    expect(email.text).toContain("Our team recently worked on your ticket #48213");
  });

  it("line breaks in ids and names cannot reach the subject header", async () => {
    const email = await renderSurveyEmail(
      sampleEmail("csat3", {
        workItem: { kind: "ticket", externalId: "48213\r\nBcc: x@example.com", summary: "a" },
      }),
    );
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});

describe("the contact's language", () => {
  it("de-DE gets German copy, subject and lang attribute", async () => {
    const email = await renderSurveyEmail(sampleEmail("csat3", { locale: "de-DE" }));
    expect(email.subject).toBe("Wie haben wir bei Ticket #48213 abgeschnitten?");
    expect(email.html).toContain('lang="de"');
    expect(email.text).toContain("Anna Berg und Ben Okafor haben vor Kurzem Ihr Ticket #48213");
    expect(email.text).toContain("Unzufrieden");
    expect(email.html).toContain("Diese Umfragen abbestellen");
  });

  it("de-AT falls back to German, one technician takes the singular", async () => {
    const email = await renderSurveyEmail(
      sampleEmail("reminder", { locale: "de-AT", technicians: ["Anna Berg"] }),
    );
    expect(email.subject).toBe("Erinnerung: Wie haben wir bei Ticket #48213 abgeschnitten?");
    expect(email.text).toContain("Anna Berg hat vor Kurzem");
  });

  it("an unknown language, a malformed tag or none gets English", async () => {
    for (const locale of ["xx", "xx-YY", "", "!!", null]) {
      const email = await renderSurveyEmail(sampleEmail("csat5", { locale }));
      expect(email.subject, String(locale)).toBe("How did we do on ticket #48213?");
      expect(email.html).toContain('lang="en"');
    }
  });
});

describe("user-provided text is escaped", () => {
  it("a summary or name with markup shows as text and runs nothing", async () => {
    const email = await renderSurveyEmail(
      sampleEmail("project", {
        workItem: { kind: "project", externalId: "P-9", summary: "<script>alert(1)</script>" },
        contactName: 'Eve "><img src=x onerror=alert(1)>',
        technicians: ["<b>Mallory</b>"],
        question: "Rate us & <i>win</i>",
      }),
    );
    expect(email.html).not.toContain("<script");
    expect(email.html).not.toContain("<img src=x");
    expect(email.html).not.toContain("<b>Mallory");
    expect(email.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(email.html).toContain("&lt;b&gt;Mallory&lt;/b&gt;");
    expect(email.html).toContain("Rate us &amp; &lt;i&gt;win&lt;/i&gt;");
    // The plain-text part is not HTML: it shows the text as it is.
    expect(email.text).toContain("<script>alert(1)</script>");
  });

  it("the subject of an email is not HTML-escaped in the header but is in <title>", async () => {
    const email = await renderSurveyEmail(
      sampleEmail("csat3", {
        workItem: { kind: "ticket", externalId: "A&B", summary: "x" },
      }),
    );
    expect(email.subject).toBe("How did we do on ticket #A&B?");
    expect(email.html).toContain("<title>How did we do on ticket #A&amp;B?</title>");
  });
});

describe("branding", () => {
  const branding = {
    companyName: "Northwind IT",
    logoUrl: "https://northwind.example/logo.png",
    accentColor: "#0f766e",
    fromAddress: "surveys@northwind.example",
    replyTo: null,
    footerAddress: "Hauptstraße 1\n1010 Wien",
  };

  it("the accent colour, company name, logo and footer address appear", async () => {
    const email = await renderSurveyEmail(sampleEmail("nps", { branding }));
    expect(email.html).toContain("background-color:#0f766e");
    expect(email.html).toMatch(/<img [^>]*alt="Northwind IT"/);
    expect(email.html).toContain('src="https://northwind.example/logo.png"');
    expect(email.subject).toBe("Would you recommend Northwind IT?");
    expect(email.html).toMatch(/Hauptstraße 1(<\/span><span>)?<br\/>1010 Wien/);
    expect(email.text).toContain("Hauptstraße 1\n1010 Wien");
    expect(email.text).toContain("because Northwind IT worked on a request for you");
  });

  it("text on a light accent turns dark so it stays readable", async () => {
    const light = await renderSurveyEmail(
      sampleEmail("csat5", { branding: { ...branding, accentColor: "#fde047" } }),
    );
    const scoreStyle = (html: string) =>
      /<a href="[^"]+\/r\/[^"]+"[^>]*style="([^"]+)"/.exec(html)?.[1];
    expect(scoreStyle(light.html)).toContain("background-color:#fde047");
    expect(scoreStyle(light.html)).toMatch(/(^|;)color:#111827/);
    const dark = await renderSurveyEmail(sampleEmail("csat5", { branding }));
    expect(scoreStyle(dark.html)).toContain("background-color:#0f766e");
    expect(scoreStyle(dark.html)).toMatch(/(^|;)color:#ffffff/);
  });

  it("without a logo the company name is the header; a non-https logo is never loaded", async () => {
    const none = await renderSurveyEmail(sampleEmail("csat3", { branding: defaultBranding }));
    expect(none.html).not.toContain("<img");
    const insecure = await renderSurveyEmail(
      sampleEmail("csat3", {
        branding: { ...branding, logoUrl: "http://northwind.example/l.png" },
      }),
    );
    expect(insecure.html).not.toContain("<img");
    expect(insecure.html).toContain("Northwind IT");
  });

  it("a malformed stored accent colour falls back to the default one", async () => {
    const email = await renderSurveyEmail(
      sampleEmail("csat3", { branding: { ...branding, accentColor: "red;background:url(x)" } }),
    );
    expect(email.html).not.toContain("url(x)");
    expect(email.html).toContain(`background-color:${defaultBranding.accentColor}`);
  });
});
