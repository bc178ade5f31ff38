import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrations } from "../src/db/schema/index.ts";
import { decryptSecrets } from "../src/integrations/secrets.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  // The API hosts below are not resolved: the outbound guard has its own tests.
  t = await createTestApp({ OUTBOUND_ALLOW_PRIVATE: "true" });
  admin = await t.key("admin");
});
afterAll(() => t.close());

const autotask = {
  vendor: "autotask",
  name: "Autotask (zone 5)",
  baseUrl: "https://webservices5.autotask.net/ATServicesRest/",
  boardTeams: { "8": "help-desk", "12": "projects" },
  secrets: {
    webhookSecret: "at-webhook-secret-value",
    apiUsername: "api@northwind.example",
    apiSecret: "at-api-secret-value",
    apiIntegrationCode: "AT-INTEGRATION-CODE",
  },
};

describe("managing integrations", () => {
  it("creates an integration with vendor defaults and its webhook URL", async () => {
    const response = await t.request("/v1/integrations", { key: admin, json: autotask });
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body).toMatchObject({
      vendor: "autotask",
      name: "Autotask (zone 5)",
      active: true,
      baseUrl: "https://webservices5.autotask.net/ATServicesRest",
      settings: { completeStatuses: ["5"] },
      boardTeams: { "8": "help-desk", "12": "projects" },
      statusMap: {},
      webhookUrl: `http://rapport.test/v1/webhooks/autotask?integration=${body.id}`,
    });
    expect(body.secretsSet.sort()).toEqual(
      ["apiIntegrationCode", "apiSecret", "apiUsername", "webhookSecret"].sort(),
    );
  });

  it("never returns a secret, and stores them only encrypted", async () => {
    const created = await (
      await t.request("/v1/integrations", { key: admin, json: autotask })
    ).json();
    const answers = [
      JSON.stringify(created),
      await (await t.request(`/v1/integrations/${created.id}`, { key: admin })).text(),
      await (await t.request("/v1/integrations", { key: admin })).text(),
    ];
    const [row] = await t.ctx.db.select().from(integrations).where(eq(integrations.id, created.id));
    for (const value of Object.values(autotask.secrets)) {
      for (const answer of answers) expect(answer).not.toContain(value);
      expect(JSON.stringify(row)).not.toContain(value);
    }
    expect(row!.encryptedSecrets).toMatch(/^v1\./);
    expect(await decryptSecrets(t.ctx, created.id, row!.encryptedSecrets)).toEqual(
      autotask.secrets,
    );
  });

  it("a ciphertext moved to another integration does not decrypt", async () => {
    const a = await (await t.request("/v1/integrations", { key: admin, json: autotask })).json();
    const [row] = await t.ctx.db.select().from(integrations).where(eq(integrations.id, a.id));
    await expect(
      decryptSecrets(t.ctx, "00000000-0000-4000-8000-000000000000", row!.encryptedSecrets),
    ).rejects.toThrow();
  });

  it("PATCH merges secrets, null removes one, and maps are replaced", async () => {
    const created = await (
      await t.request("/v1/integrations", { key: admin, json: autotask })
    ).json();
    const response = await t.request(`/v1/integrations/${created.id}`, {
      key: admin,
      method: "PATCH",
      json: {
        name: "Renamed",
        boardTeams: { "9": "centralized-services" },
        statusMap: { "13": "ticket.reopened", "7": "ignore" },
        secrets: { webhookSecret: "rotated-secret", apiSecret: null },
      },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.name).toBe("Renamed");
    expect(body.boardTeams).toEqual({ "9": "centralized-services" });
    expect(body.statusMap).toEqual({ "13": "ticket.reopened", "7": "ignore" });
    expect(body.secretsSet.sort()).toEqual(["apiIntegrationCode", "apiUsername", "webhookSecret"]);
    const [row] = await t.ctx.db.select().from(integrations).where(eq(integrations.id, created.id));
    const secrets = await decryptSecrets(t.ctx, created.id, row!.encryptedSecrets);
    expect(secrets.webhookSecret).toBe("rotated-secret");
    expect(secrets.apiUsername).toBe(autotask.secrets.apiUsername);
    expect(secrets.apiSecret).toBeUndefined();
  });

  it("DELETE removes the integration", async () => {
    const created = await (
      await t.request("/v1/integrations", { key: admin, json: autotask })
    ).json();
    const gone = await t.request(`/v1/integrations/${created.id}`, {
      key: admin,
      method: "DELETE",
    });
    expect(gone.status).toBe(204);
    expect((await t.request(`/v1/integrations/${created.id}`, { key: admin })).status).toBe(404);
    const again = await t.request(`/v1/integrations/${created.id}`, {
      key: admin,
      method: "DELETE",
    });
    expect(again.status).toBe(404);
  });
});

describe("ConnectWise API credentials", () => {
  it("a ConnectWise integration takes its API member's keys, write-only, and no webhook secret", async () => {
    const secrets = {
      apiCompanyId: "northwindmsp",
      apiPublicKey: "cw-public-key-value",
      apiPrivateKey: "cw-private-key-value",
      apiClientId: "cw-client-id-value",
    };
    const response = await t.request("/v1/integrations", {
      key: admin,
      json: {
        vendor: "connectwise",
        name: "ConnectWise",
        baseUrl: "https://api-na.myconnectwise.net",
        secrets,
      },
    });
    expect(response.status).toBe(201);
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.secretsSet.sort()).toEqual(Object.keys(secrets).sort());
    for (const value of Object.values(secrets).slice(1)) expect(text).not.toContain(value);
    const refused = await t.request("/v1/integrations", {
      key: admin,
      json: { vendor: "connectwise", name: "CW", secrets: { webhookSecret: "x" } },
    });
    expect(refused.status).toBe(400);
    expect((await problemOf(refused)).errors?.[0]?.path).toBe("secrets.webhookSecret");
  });
});

describe("integration input is checked", () => {
  it("a secret the vendor does not use is a 400 naming it, and nothing is stored", async () => {
    const before = await t.ctx.db.select().from(integrations);
    const response = await t.request("/v1/integrations", {
      key: admin,
      json: { vendor: "halopsa", name: "Halo", secrets: { webhookSecret: "x" } },
    });
    const problem = await problemOf(response);
    expect(response.status).toBe(400);
    expect(problem.errors?.[0]?.path).toBe("secrets.webhookSecret");
    expect(await t.ctx.db.select().from(integrations)).toHaveLength(before.length);
  });

  it("an unknown vendor, a bad team key and a bad status target are named", async () => {
    const response = await t.request("/v1/integrations", {
      key: admin,
      json: {
        vendor: "servicenow",
        name: "x",
        boardTeams: { "Help Desk": "Help Desk" },
        statusMap: { Closed: "closed" },
      },
    });
    const problem = await problemOf(response);
    const paths = problem.errors?.map((error) => error.path) ?? [];
    expect(paths).toContain("vendor");
    expect(paths).toContain("boardTeams.Help Desk");
    expect(paths).toContain("statusMap.Closed");
  });

  it("an unknown settings key is refused", async () => {
    const response = await t.request("/v1/integrations", {
      key: admin,
      json: { vendor: "connectwise", name: "CW", settings: { completeStatus: ["5"] } },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify((await problemOf(response)).errors)).toContain("completeStatus");
  });

  it("only admin keys manage integrations", async () => {
    const key = await t.key("events:write");
    expect((await t.request("/v1/integrations", { key })).status).toBe(403);
    expect((await t.request("/v1/integrations")).status).toBe(401);
  });
});

describe("the API description", () => {
  it("documents the integration, webhook and dead-letter endpoints", async () => {
    const response = await t.request("/openapi.json");
    expect(response.status).toBe(200);
    const paths = Object.keys((await response.json()).paths);
    for (const path of [
      "/v1/integrations",
      "/v1/integrations/{id}",
      "/v1/webhooks/connectwise",
      "/v1/webhooks/autotask/{integration}",
      "/v1/webhooks/halopsa",
      "/v1/dead-letters",
      "/v1/dead-letters/{id}/replay",
    ]) {
      expect(paths).toContain(path);
    }
  });
});
