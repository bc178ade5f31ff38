import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  AUTOTASK_CREDENTIALS,
  autotaskIntegration,
  autotaskSignature,
} from "./support/fake-autotask.ts";

/*
 * Integration secrets are encrypted with a key derived from APP_SECRET: after APP_SECRET
 * changed, the integration has no readable secrets, shows none, refuses deliveries as unsigned,
 * and takes its secrets again through PATCH.
 */
const fixture = readFileSync(
  new URL("../../shared/fixtures/psa/autotask-ticket-completed.json", import.meta.url),
  "utf8",
);

describe("after APP_SECRET changed, an integration's secrets can be entered again", () => {
  let t: TestApp;
  let admin: string;
  let id: string;
  beforeAll(async () => {
    t = await createTestApp({ APP_SECRET: "a".repeat(40), OUTBOUND_ALLOW_PRIVATE: "true" });
    admin = await t.key("admin");
    const created = await t.request("/v1/integrations", {
      key: admin,
      json: autotaskIntegration("old-webhook-secret"),
    });
    expect(created.status).toBe(201);
    id = (await created.json()).id;
    // The operator rotates APP_SECRET (a restart with another value).
    (t.config as { APP_SECRET?: string }).APP_SECRET = "b".repeat(40);
  });
  afterAll(() => t.close());

  it("GET shows the unreadable secrets as none (as intended)", async () => {
    const got = await t.request(`/v1/integrations/${id}`, { key: admin });
    expect(got.status).toBe(200);
    expect((await got.json()).secretsSet).toEqual([]);
  });

  it("PATCH with new secrets is accepted (not a 500)", async () => {
    const patched = await t.request(`/v1/integrations/${id}`, {
      method: "PATCH",
      key: admin,
      json: { secrets: { webhookSecret: "new-webhook-secret", ...AUTOTASK_CREDENTIALS } },
    });
    expect(patched.status).toBe(200);
    expect((await patched.json()).secretsSet.sort()).toEqual(
      ["apiIntegrationCode", "apiSecret", "apiUsername", "webhookSecret"].sort(),
    );
  });

  it("PATCH moving baseUrl is accepted (not a 500)", async () => {
    const other = await t.request("/v1/integrations", {
      method: "POST",
      key: admin,
      json: {
        vendor: "autotask",
        name: "Autotask 2",
        baseUrl: "https://webservices5.autotask.net/ATServicesRest",
        secrets: { webhookSecret: "x" },
      },
    });
    const otherId = (await other.json()).id;
    // Its ciphertext was made under the current secret; rotate once more.
    (t.config as { APP_SECRET?: string }).APP_SECRET = "c".repeat(40);
    const moved = await t.request(`/v1/integrations/${otherId}`, {
      method: "PATCH",
      key: admin,
      json: { baseUrl: "https://webservices14.autotask.net/ATServicesRest" },
    });
    expect(moved.status).toBe(200);
  });

  it("a delivery to it is a clear 401 (no usable webhook secret), not a 500", async () => {
    (t.config as { APP_SECRET?: string }).APP_SECRET = "d".repeat(40);
    const response = await t.request(`/v1/webhooks/autotask?integration=${id}`, {
      method: "POST",
      body: fixture,
      headers: {
        "content-type": "application/json",
        "x-hook-signature": autotaskSignature("new-webhook-secret", fixture),
      },
    });
    expect(response.status).not.toBe(500);
  });
});
