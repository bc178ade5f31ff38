import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBranding } from "../src/emails/branding.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.key("admin");
});
afterAll(() => t.close());

const valid = {
  companyName: "Northwind IT",
  logoUrl: "https://northwind.example/logo.png",
  accentColor: "#0f766e",
  fromAddress: "surveys@northwind.example",
  replyTo: null,
  footerAddress: null,
};

async function put(json: unknown, key = admin) {
  return t.request("/v1/settings/branding", { key, method: "PUT", json });
}

describe("branding validation", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a logo over plain http", { logoUrl: "http://northwind.example/logo.png" }, "logoUrl"],
    ["a logo that is no URL", { logoUrl: "logo.png" }, "logoUrl"],
    ["a javascript: logo", { logoUrl: "javascript:alert(1)" }, "logoUrl"],
    ["a colour name", { accentColor: "red" }, "accentColor"],
    ["a short colour", { accentColor: "#0f7" }, "accentColor"],
    ["a colour with CSS after it", { accentColor: "#0f766e;x:y" }, "accentColor"],
    ["a sender that is no address", { fromAddress: "surveys" }, "fromAddress"],
    ["a reply-to that is no address", { replyTo: "helpdesk at example" }, "replyTo"],
    ["an empty company name", { companyName: "   " }, "companyName"],
  ];
  for (const [what, change, path] of cases) {
    it(`${what} is refused with the field's path, and nothing is saved`, async () => {
      await put(valid);
      const response = await put({ ...valid, companyName: "Changed", ...change });
      expect(response.status).toBe(400);
      const problem = await problemOf(response);
      expect(problem.title).toBe("Validation failed");
      expect(problem.errors?.map((error) => error.path)).toContain(path);
      expect(problem.errors?.[0]?.in).toBe("body");
      expect((await loadBranding({ ctx: t.ctx })).companyName).toBe("Northwind IT");
    });
  }

  it("a misspelt field is refused by name rather than ignored", async () => {
    const response = await put({ ...valid, accentColour: "#0f766e" });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors).toContainEqual(
      expect.objectContaining({ path: "accentColour", message: "is not a known field" }),
    );
  });

  it("a missing company name and sender are both named", async () => {
    const response = await put({ accentColor: "#000000" });
    const problem = await problemOf(response);
    expect(problem.errors?.map((error) => error.path).sort()).toEqual([
      "companyName",
      "fromAddress",
    ]);
  });

  it("malformed JSON is a 400 problem", async () => {
    const response = await t.request("/v1/settings/branding", {
      key: admin,
      method: "PUT",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).title).toBe("Malformed JSON");
  });
});

describe("branding needs the admin scope", () => {
  it("no key is a 401, for reading and for saving", async () => {
    expect((await t.request("/v1/settings/branding")).status).toBe(401);
    expect((await t.request("/v1/settings/branding", { method: "PUT", json: valid })).status).toBe(
      401,
    );
  });

  it("a key without admin is a 403 and saves nothing", async () => {
    await put(valid);
    const key = await t.key("surveys:write");
    expect((await t.request("/v1/settings/branding", { key })).status).toBe(403);
    const response = await put({ ...valid, companyName: "Intruder" }, key);
    expect(response.status).toBe(403);
    expect((await problemOf(response)).detail).toContain("admin");
    expect((await loadBranding({ ctx: t.ctx })).companyName).toBe("Northwind IT");
  });
});
