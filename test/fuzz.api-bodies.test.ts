import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  expectApiAnswer,
  expectUnchanged,
  type FuzzRequest,
  fuzzParams,
  hostileBody,
  send,
  tableCounts,
  watchUnhandledRejections,
} from "./support/fuzz.ts";
import { type OpenApiDocument, sampleFor } from "./support/fuzz-schema.ts";

/**
 * Every declared route that takes a JSON body, with an admin key so that the body itself is what
 * is judged: bodies broken in one to three places, any JSON, broken JSON text and random bytes.
 */

let t: TestApp;
let adminKey: string;
let doc: OpenApiDocument & { paths: Record<string, Record<string, { tags?: string[] }>> };
const rejections = watchUnhandledRejections();

interface BodyRoute {
  method: string;
  path: string;
  group: string;
  sample: unknown;
}

/** Path parameters filled with well-formed values, so the body is the only thing wrong. */
function concretePath(template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === "id" || name === "integration"
      ? "7f2c1d0e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
      : `fuzz-${name.toLowerCase()}`,
  );
}

function bodyRoutes(): BodyRoute[] {
  const routes: BodyRoute[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const op = operation as OpenApiDocument["paths"][string][string] & { tags?: string[] };
      const schema = op.requestBody?.content["application/json"]?.schema;
      // PSA and Resend webhooks have their own fuzzing with signed deliveries.
      const vendorWebhook = /^\/v1\/webhooks\/(connectwise|autotask|halopsa|resend)/.test(path);
      if (!schema || vendorWebhook) continue;
      routes.push({
        method: method.toUpperCase(),
        path: concretePath(path),
        group: op.tags?.[0] ?? "Other",
        sample: sampleFor(doc, schema),
      });
    }
  }
  return routes;
}

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000000" });
  adminKey = await t.key("admin");
  doc = (await (await t.app.request("/openapi.json")).json()) as typeof doc;
});
afterAll(async () => {
  rejections.stop();
  await t.close();
});

let fresh = 0;

/**
 * The body with the sample's own id made new (where the case left it in place): a repeated event
 * id is answered as a duplicate before its work is looked at, so each case must be a new event
 * for the write path to be tried.
 */
function withFreshId(route: BodyRoute, body: string | Uint8Array): string | Uint8Array {
  const id = (route.sample as { id?: unknown } | null)?.id;
  if (typeof body !== "string" || typeof id !== "string") return body;
  fresh += 1;
  return body.replaceAll(JSON.stringify(id), JSON.stringify(`${id}-${fresh}`));
}

async function check(route: BodyRoute, body: string | Uint8Array) {
  const request: FuzzRequest = {
    method: route.method,
    path: route.path,
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: withFreshId(route, body),
  };
  const before = await tableCounts(t.ctx.db);
  const response = await send(t.app, request);
  const rejected = response.status >= 400;
  await expectApiAnswer(response, request);
  if (rejected) expectUnchanged(before, await tableCounts(t.ctx.db), request);
}

describe("JSON bodies of every API route", () => {
  it("every body route is found in the OpenAPI document", () => {
    const paths = bodyRoutes().map((route) => `${route.method} ${route.path}`);
    expect(paths).toContain("POST /v1/events");
    expect(paths).toContain("PUT /v1/clients/fuzz-externalid");
    expect(paths).toContain("POST /v1/integrations");
    expect(paths.some((path) => path.startsWith("POST /v1/webhooks/connectwise"))).toBe(false);
  });

  it("the schema sample of the canonical event is accepted as it is", async () => {
    const route = bodyRoutes().find((r) => r.path === "/v1/events")!;
    const response = await t.request("/v1/events", { key: adminKey, json: route.sample });
    expect(response.status, JSON.stringify(await response.clone().json())).toBe(202);
  });

  // Endpoint groups, each fuzzed FUZZ_RUNS times: intake, the directory, and everything else.
  const groups: Array<[string, (route: BodyRoute) => boolean]> = [
    ["intake", (route) => route.group === "Events"],
    ["directory", (route) => route.group === "Directory"],
    ["administration", (route) => route.group !== "Events" && route.group !== "Directory"],
  ];
  for (const [group, member] of groups) {
    it(`${group}: a broken body is a problem+json rejection that writes nothing`, async () => {
      const routes = bodyRoutes().filter(member);
      expect(routes.length).toBeGreaterThan(0);
      const cases = fc
        .constantFrom(...routes)
        .chain((route) => hostileBody(route.sample).map((body) => ({ route, body })));
      await fc.assert(
        fc.asyncProperty(cases, ({ route, body }) => check(route, body)),
        fuzzParams(`bodies/${group}`, 25),
      );
    });
  }

  it("no fuzzed request left an unhandled rejection behind", () => {
    expect(rejections.reasons).toEqual([]);
  });
});
