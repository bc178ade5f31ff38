import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultBranding, formatFrom, loadBranding } from "../src/emails/branding.ts";
import { renderSurveyEmail } from "../src/emails/render.ts";
import { sampleEmail } from "../src/emails/samples.ts";
import { createTestApp, type TestApp } from "./support/app.ts";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.key("admin");
});
afterAll(() => t.close());

const northwind = {
  companyName: "Northwind IT",
  logoUrl: "https://northwind.example/logo.png",
  accentColor: "#0f766e",
  fromAddress: "surveys@northwind.example",
  replyTo: "helpdesk@northwind.example",
  footerAddress: "Northwind IT GmbH\nHauptstraße 1, 1010 Wien",
};

describe("branding settings", () => {
  it("before anything is saved, the defaults are in use", async () => {
    const fresh = await createTestApp();
    try {
      const key = await fresh.key("admin");
      const response = await fresh.request("/v1/settings/branding", { key });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(defaultBranding);
    } finally {
      await fresh.close();
    }
  });

  it("a saved branding is read back and shapes the next email", async () => {
    const saved = await t.request("/v1/settings/branding", {
      key: admin,
      method: "PUT",
      json: northwind,
    });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toEqual(northwind);

    const read = await t.request("/v1/settings/branding", { key: admin });
    expect(await read.json()).toEqual(northwind);

    const branding = await loadBranding({ ctx: t.ctx });
    const email = await renderSurveyEmail(sampleEmail("csat3", { branding }));
    expect(email.html).toMatch(/<img [^>]*alt="Northwind IT"/);
    expect(email.html).toContain("border-top:4px solid #0f766e");
    expect(email.text).toContain("Northwind IT GmbH");
    expect(formatFrom(branding)).toBe('"Northwind IT" <surveys@northwind.example>');
  });

  it("a logo URL with its scheme in capitals is https too: stored as URL writes it, and shown", async () => {
    const saved = await t.request("/v1/settings/branding", {
      key: admin,
      method: "PUT",
      json: { ...northwind, logoUrl: "HTTPS://Northwind.Example/logo.png" },
    });
    expect(saved.status).toBe(200);
    expect((await saved.json()).logoUrl).toBe("https://northwind.example/logo.png");
    const branding = await loadBranding({ ctx: t.ctx });
    const email = await renderSurveyEmail(sampleEmail("csat3", { branding }));
    expect(email.html).toContain('src="https://northwind.example/logo.png"');
    // One stored before the change, as it was written, is shown as well.
    const written = { ...branding, logoUrl: "HTTPS://northwind.example/logo.png" };
    const older = await renderSurveyEmail(sampleEmail("csat3", { branding: written }));
    expect(older.html).toMatch(/<img [^>]*alt="Northwind IT"/);
  });

  it("a PUT replaces the whole branding: fields left out go back to their default", async () => {
    await t.request("/v1/settings/branding", { key: admin, method: "PUT", json: northwind });
    const response = await t.request("/v1/settings/branding", {
      key: admin,
      method: "PUT",
      json: { companyName: "  Contoso  ", fromAddress: "nps@contoso.example" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ...defaultBranding,
      companyName: "Contoso",
      fromAddress: "nps@contoso.example",
    });
    expect((await loadBranding({ ctx: t.ctx })).logoUrl).toBeNull();
  });

  it("the branding endpoints are in the OpenAPI description", async () => {
    const spec = await (await t.request("/openapi.json")).json();
    expect(Object.keys(spec.paths["/v1/settings/branding"]).sort()).toEqual(["get", "put"]);
  });
});
