import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toApiError } from "../src/http/errors.ts";
import { SECURITY_HEADERS } from "../src/http/response-headers.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: "2048" });
  admin = await t.key("admin");
});
afterAll(() => t.close());

describe("errors are RFC 9457 problem details", () => {
  it("a database that cannot be reached, however it fails, is a 503 to retry", () => {
    const failure = (code: string) =>
      new Error("query failed", { cause: Object.assign(new Error("driver"), { code }) });
    for (const code of [
      "ECONNREFUSED",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "CONNECT_TIMEOUT",
      "08001",
      "08004",
      "57P01",
      "53300",
    ]) {
      const error = toApiError(failure(code));
      expect([code, error.status, error.headers?.["Retry-After"]]).toEqual([code, 503, "2"]);
    }
    for (const code of ["42P01", "23505", "EACCES"]) {
      expect([code, toApiError(failure(code)).status]).toEqual([code, 500]);
    }
  });

  it("a body of another type than JSON is a 415 the API description names", async () => {
    const response = await t.request("/v1/api-keys", {
      key: admin,
      method: "POST",
      body: "name=x",
      headers: { "content-type": "text/plain" },
    });
    expect(response.status).toBe(415);
    const document = (await (await t.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(document.paths["/v1/api-keys"]!.post!.responses)).toContain("415");
  });

  it("a JSON type with a space before its parameters is JSON (RFC 9110)", async () => {
    const response = await t.request("/v1/api-keys", {
      key: admin,
      method: "POST",
      body: JSON.stringify({ name: "spaced", scopes: ["metrics:read"] }),
      headers: { "content-type": "application/json ; charset=utf-8" },
    });
    expect(response.status).toBe(201);
  });

  it("a route that requires a body refuses a request without one, and writes nothing", async () => {
    // Who asks is checked first: no key is a 401, a key without the scope a 403.
    expect((await t.request("/v1/teams/bodiless", { method: "PUT" })).status).toBe(401);
    const reader = await t.key("metrics:read");
    expect((await t.request("/v1/teams/bodiless", { key: reader, method: "PUT" })).status).toBe(
      403,
    );
    const response = await t.request("/v1/teams/bodiless", { key: admin, method: "PUT" });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]).toMatchObject({ path: "", in: "body" });
    expect((await t.request("/v1/teams/bodiless", { key: admin })).status).toBe(404);
    // A body without a content type is still a 415.
    const untyped = await t.request("/v1/teams/bodiless", {
      key: admin,
      method: "PUT",
      body: new Uint8Array([123, 125]),
    });
    expect(untyped.status).toBe(415);
  });

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
    for (const path of ["/healthz", "/no/such/thing", `/r/${"A".repeat(24)}/3`]) {
      const response = await t.request(path);
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        // Pages keep their own referrer policy, so their forms post with their origin.
        const expected =
          name === "Referrer-Policy" && path.startsWith("/r/") ? "same-origin" : value;
        expect(response.headers.get(name), `${path} ${name}`).toBe(expected);
      }
    }
  });

  it("echoes a caller's plain request id and replaces any other", async () => {
    const echoed = await t.request("/healthz", { headers: { "x-request-id": "psa-delivery-42" } });
    expect(echoed.headers.get("x-request-id")).toBe("psa-delivery-42");
    for (const given of ["has space", "x".repeat(65), "semi;colon"]) {
      const replaced = await t.request("/healthz", { headers: { "x-request-id": given } });
      expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("health", () => {
  it("healthz and readyz answer ok while the database is up", async () => {
    expect(await (await t.request("/healthz")).json()).toEqual({ status: "ok" });
    expect((await t.request("/readyz")).status).toBe(200);
  });
});

describe("a page cursor is checked before it reaches a statement", () => {
  const id = "0b7c2f4e-8f0a-4c55-9d1e-2b6f3a9c1d20";
  const b64 = (text: string) => Buffer.from(text).toString("base64url");
  // Forged cursors each list's own format would let through a looser check: ids of the right
  // length that are not UUIDs, instants beyond year 9999 or on days that do not exist.
  const instantCursors = [
    `2026-11-18T00:00:00.000Z|${"-".repeat(36)}`,
    `2026-11-18T00:00:00.000Z|${"a".repeat(36)}`,
    `+275760-09-13T00:00:00.000Z|${id}`,
    `2026-02-31T00:00:00.000Z|${id}`,
    `2026-11-18T00:00:00.000Z|${id}|extra`,
  ].map(b64);
  const lists = [
    ["/v1/dead-letters", instantCursors],
    ["/v1/webhooks/deliveries", instantCursors],
    ["/v1/outbox", instantCursors],
    ["/v1/followups", instantCursors],
    [
      "/v1/teams",
      [
        JSON.stringify(["+275760-09-13 00:00:00+00", id]),
        JSON.stringify(["2026-02-31 00:00:00+00", id]),
        JSON.stringify(["2026-11-18 25:00:00+00", id]),
        JSON.stringify(["2026-11-18 00:00:00+00", "a".repeat(36)]),
      ].map(b64),
    ],
    [
      "/v1/responses",
      [JSON.stringify({ seq: 0, since: "not a time" }), JSON.stringify({ seq: 0, since: 7 })].map(
        b64,
      ),
    ],
  ] as const;

  it.each(lists)("%s answers a forged cursor with a 400 naming it", async (path, cursors) => {
    const key = await t.key("admin", "responses:read");
    for (const cursor of cursors) {
      const response = await t.request(`${path}?cursor=${cursor}`, { key });
      expect(response.status, `${path} ${Buffer.from(cursor, "base64url")}`).toBe(400);
      expect((await problemOf(response)).errors?.[0]).toMatchObject({
        path: "cursor",
        in: "query",
      });
    }
  });
});
