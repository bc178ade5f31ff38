import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: "2048" });
  admin = await t.key("admin");
});
afterAll(() => t.close());

describe("errors are RFC 9457 problem details", () => {
  it("an unknown route is a 404 problem with the request id", async () => {
    const response = await t.request("/no/such/thing");
    expect(response.status).toBe(404);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ status: 404, title: "Not found", instance: "/no/such/thing" });
    expect(problem.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("malformed JSON is a 400 that says so", async () => {
    const response = await t.request("/v1/api-keys", {
      key: admin,
      body: '{"name": "broken',
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).title).toBe("Malformed JSON");
  });

  it("a validation failure names every bad field path", async () => {
    const response = await t.request("/v1/api-keys", {
      key: admin,
      json: { name: "", scopes: ["events:write", "root"] },
    });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["name", "scopes.1"]);
    expect(problem.errors?.every((e) => e.in === "body")).toBe(true);
  });

  it("a body over the limit is a 413 and writes nothing", async () => {
    const before = await (await t.request("/v1/api-keys", { key: admin })).json();
    const response = await t.request("/v1/api-keys", {
      key: admin,
      json: { name: "x".repeat(4096), scopes: ["admin"] },
    });
    expect(response.status).toBe(413);
    expect((await problemOf(response)).status).toBe(413);
    const after = await (await t.request("/v1/api-keys", { key: admin })).json();
    expect(after.data).toHaveLength(before.data.length);
  });

  it("an invalid path parameter is a 400 naming the parameter", async () => {
    const response = await t.request("/v1/api-keys/not-a-uuid", { key: admin, method: "DELETE" });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors?.[0]).toMatchObject({ path: "id", in: "path" });
  });

  it("every response carries a request id and security headers", async () => {
    const response = await t.request("/healthz");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });
});

describe("health", () => {
  it("healthz and readyz answer ok while the database is up", async () => {
    expect(await (await t.request("/healthz")).json()).toEqual({ status: "ok" });
    expect((await t.request("/readyz")).status).toBe(200);
  });
});
