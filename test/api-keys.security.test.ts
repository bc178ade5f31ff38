import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../src/apikeys/keys.ts";
import { apiKeys } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("API keys guard the API", () => {
  it("no key is a 401 problem with a Bearer challenge", async () => {
    const response = await t.request("/v1/api-keys");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    expect((await problemOf(response)).title).toBe("Unauthorized");
  });

  it("an unknown key is a 401", async () => {
    const response = await t.request("/v1/api-keys", { key: "rpk_made-up-key" });
    expect(response.status).toBe(401);
  });

  it("a key without the scope is a 403 naming the scope", async () => {
    const key = await t.key("metrics:read");
    const response = await t.request("/v1/api-keys", { key });
    expect(response.status).toBe(403);
    expect((await problemOf(response)).detail).toContain("admin");
  });

  it("a revoked key is a 401 from the moment it is revoked", async () => {
    const admin = await t.key("admin");
    const created = await t.request("/v1/api-keys", {
      key: admin,
      json: { name: "to revoke", scopes: ["admin"] },
    });
    expect(created.status).toBe(201);
    const { id, key } = await created.json();
    expect((await t.request("/v1/api-keys", { key })).status).toBe(200);
    const revoked = await t.request(`/v1/api-keys/${id}`, { key: admin, method: "DELETE" });
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).revokedAt).toBeTruthy();
    expect((await t.request("/v1/api-keys", { key })).status).toBe(401);
  });

  it("revoking an unknown id is a 404", async () => {
    const admin = await t.key("admin");
    const response = await t.request("/v1/api-keys/00000000-0000-4000-8000-000000000000", {
      key: admin,
      method: "DELETE",
    });
    expect(response.status).toBe(404);
  });

  it("keys are stored only as hashes and never listed with their secret", async () => {
    const admin = await t.key("admin");
    const rows = await t.ctx.db.select().from(apiKeys);
    expect(rows.some((row) => row.keyHash === hashKey(admin))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(admin);
    const listed = await (await t.request("/v1/api-keys", { key: admin })).text();
    expect(listed).not.toContain(admin);
    expect(listed).not.toContain(hashKey(admin));
  });

  it("a key's last use is noted, at most once a minute", async () => {
    const admin = await t.key("admin");
    const idle = await t.key("metrics:read");
    const lastUsed = async () => {
      const { data } = (await (await t.request("/v1/api-keys", { key: admin })).json()) as {
        data: Array<{ id: string; prefix: string; lastUsedAt: string | null }>;
      };
      const of = (key: string) => data.find((row) => key.startsWith(row.prefix))?.lastUsedAt;
      return { admin: of(admin), idle: of(idle) };
    };
    const first = t.clock.now().toISOString();
    expect(await lastUsed()).toEqual({ admin: first, idle: null });
    t.clock.advance(30_000);
    expect((await lastUsed()).admin).toBe(first);
    t.clock.advance(30_000);
    expect((await lastUsed()).admin).toBe(t.clock.now().toISOString());
  });
});
