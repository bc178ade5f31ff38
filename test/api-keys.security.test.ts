import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../src/apikeys/keys.ts";
import { keysCommand } from "../src/cli/keys.ts";
import { parseKeyArgs, UsageError } from "../src/cli/main.ts";
import { loadConfig } from "../src/config.ts";
import { apiKeys } from "../src/db/schema/index.ts";
import { createLogger } from "../src/logger.ts";
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

describe("key names and the CLI's arguments", () => {
  it("a new key's answer is never cached; a name is one line, without control characters", async () => {
    const admin = await t.key("admin");
    const created = await t.request("/v1/api-keys", {
      key: admin,
      json: { name: "ci bot", scopes: ["metrics:read"] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const response = await t.request("/v1/api-keys", {
      key: admin,
      json: { name: "ci\tbot", scopes: ["metrics:read"] },
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("name");
  });

  it("keys create takes repeated --scopes together, and refuses a stray word or a bad name", async () => {
    expect(parseKeyArgs(["create", "--name", " ci ", "--scopes", "admin"])).toEqual({
      positionals: ["create"],
      name: "ci",
      scopes: ["admin"],
    });
    expect(
      parseKeyArgs([
        "create",
        "--name",
        "ci",
        "--scopes",
        "metrics:read",
        "--scopes",
        "events:write,metrics:read",
      ]),
    ).toMatchObject({ scopes: ["metrics:read", "events:write"] });
    expect(() => parseKeyArgs(["create", "--name", "a\nb", "--scopes", "admin"])).toThrow(
      UsageError,
    );
    expect(() => parseKeyArgs(["create", "--name", "x".repeat(201), "--scopes", "admin"])).toThrow(
      UsageError,
    );
    // The database is never opened for a usage error: the config points nowhere usable.
    const config = loadConfig({ DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    const logger = createLogger("silent");
    const keys = (args: string[]) => keysCommand(config, logger, args, parseKeyArgs);
    await expect(keys(["create", "--name", "my", "key", "--scopes", "admin"])).rejects.toThrow(
      /Unexpected "key"/,
    );
    await expect(keys(["list", "all"])).rejects.toThrow(UsageError);
    await expect(keys(["revoke", "00000000-0000-4000-8000-000000000000", "extra"])).rejects.toThrow(
      UsageError,
    );
  });
});
