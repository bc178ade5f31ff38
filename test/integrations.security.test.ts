import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  AUTOTASK_CREDENTIALS,
  autotaskIntegration,
  autotaskSignature,
  type FakeAutotask,
  startFakeAutotask,
} from "./support/fake-autotask.ts";

const fixture = readFileSync(
  new URL("../../shared/fixtures/psa/autotask-ticket-completed.json", import.meta.url),
  "utf8",
);

function deliver(t: TestApp, id: string, secret: string) {
  return t.request(`/v1/webhooks/autotask?integration=${id}`, {
    method: "POST",
    body: fixture,
    headers: {
      "content-type": "application/json",
      "x-hook-signature": autotaskSignature(secret, fixture),
    },
  });
}

describe("a PSA API on an internal address (OUTBOUND_ALLOW_PRIVATE off, the default)", () => {
  let t: TestApp;
  let fake: FakeAutotask;
  beforeAll(async () => {
    fake = await startFakeAutotask();
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it("is refused as baseUrl, with the field named, when created or changed", async () => {
    const admin = await t.key("admin");
    for (const baseUrl of [
      "http://127.0.0.1:6379/ATServicesRest",
      "https://169.254.169.254/latest/meta-data",
      "https://10.0.0.5/v4_6_release",
      "https://[::1]/ATServicesRest",
      "http://203.0.113.9/ATServicesRest",
    ]) {
      const response = await t.request("/v1/integrations", {
        key: admin,
        json: { vendor: "autotask", name: "Autotask", baseUrl },
      });
      expect(response.status, baseUrl).toBe(400);
      expect((await response.json()).errors[0].path, baseUrl).toBe("baseUrl");
    }
    const created = await t.request("/v1/integrations", {
      key: admin,
      json: { vendor: "autotask", name: "Autotask" },
    });
    const { id } = await created.json();
    const moved = await t.request(`/v1/integrations/${id}`, {
      method: "PATCH",
      key: admin,
      json: { baseUrl: "https://192.168.1.10/ATServicesRest" },
    });
    expect(moved.status).toBe(400);
    expect((await moved.json()).errors[0].path).toBe("baseUrl");
  });

  it("is not called when it got there another way: the delivery is a 502 and the API sees nothing", async () => {
    const admin = await t.key("admin");
    const created = await t.request("/v1/integrations", {
      key: admin,
      json: autotaskIntegration("inbound", { baseUrl: undefined }),
    });
    const { id } = await created.json();
    // Set before the guard existed, or by hand in the database.
    const { integrations } = await import("../src/db/schema/index.ts");
    const { eq } = await import("drizzle-orm");
    await t.ctx.db
      .update(integrations)
      .set({ baseUrl: fake.baseUrl })
      .where(eq(integrations.id, id));
    const before = fake.requests.length;
    const response = await deliver(t, id, "inbound");
    expect(response.status).toBe(502);
    expect(fake.requests.length).toBe(before);
  });
});

describe("the PSA API credentials, write-only", () => {
  let t: TestApp;
  let fake: FakeAutotask;
  beforeAll(async () => {
    fake = await startFakeAutotask();
    // Private addresses allowed: only the credentials' handling is under test here.
    t = await createTestApp({ OUTBOUND_ALLOW_PRIVATE: "true" });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it("never reach a new baseUrl: moving it drops them until they are entered again", async () => {
    const admin = await t.key("admin");
    const created = await t.request("/v1/integrations", {
      key: admin,
      json: autotaskIntegration("theirs"),
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    // An admin key (a script's, leaked) points the integration at a host it controls and sets
    // a webhook secret it knows.
    const patched = await t.request(`/v1/integrations/${id}`, {
      method: "PATCH",
      key: admin,
      json: { baseUrl: fake.baseUrl, secrets: { webhookSecret: "mine" } },
    });
    expect(patched.status).toBe(200);
    expect((await patched.json()).secretsSet).toEqual(["webhookSecret"]);
    const response = await deliver(t, id, "mine");
    // Without credentials the delivery cannot be mapped: kept as a dead letter, nothing sent.
    expect(response.status).toBe(400);
    expect(JSON.stringify(fake.requests)).not.toContain(AUTOTASK_CREDENTIALS.apiSecret);
    expect(fake.requests).toEqual([]);

    // Entered again for the new host, they are used there.
    const again = await t.request(`/v1/integrations/${id}`, {
      method: "PATCH",
      key: admin,
      json: { secrets: AUTOTASK_CREDENTIALS },
    });
    expect((await again.json()).secretsSet).toEqual(
      expect.arrayContaining(["webhookSecret", "apiUsername", "apiSecret", "apiIntegrationCode"]),
    );
    const other = fixture.replace('"Id": 351182', '"Id": 351183');
    expect(other).not.toBe(fixture);
    const second = await t.request(`/v1/webhooks/autotask?integration=${id}`, {
      method: "POST",
      body: other,
      headers: {
        "content-type": "application/json",
        "x-hook-signature": autotaskSignature("mine", other),
      },
    });
    expect(second.status).toBe(202);
    expect(fake.requests.length).toBeGreaterThan(0);
  });
});
