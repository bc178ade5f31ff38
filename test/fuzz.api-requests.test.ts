import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  bogusAuthorization,
  contentTypes,
  expectApiAnswer,
  expectUnchanged,
  type FuzzRequest,
  fuzzParams,
  hostileSegment,
  send,
  tableCounts,
  watchUnhandledRejections,
} from "./support/fuzz.ts";
import { type OpenApiDocument, type Operation, sampleFor } from "./support/fuzz-schema.ts";

/**
 * Every declared API route with hostile headers (bogus keys, any content type) and hostile path
 * and query parameters (random ids, traversal, encoded bytes, over-long values).
 */

let t: TestApp;
let adminKey: string;
let doc: OpenApiDocument;
const rejections = watchUnhandledRejections();

interface ApiRoute {
  method: string;
  template: string;
  operation: Operation;
  sample: unknown;
}

const isVendorWebhook = (path: string) =>
  /^\/v1\/webhooks\/(connectwise|autotask|halopsa|resend)/.test(path);

function apiRoutes(): ApiRoute[] {
  return Object.entries(doc.paths).flatMap(([template, operations]) =>
    Object.entries(operations)
      .filter(() => !isVendorWebhook(template))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        operation,
        sample: sampleFor(doc, operation.requestBody?.content["application/json"]?.schema),
      })),
  );
}

function fill(template: string, value: (name: string) => string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => value(name));
}

const wellFormed = (name: string) =>
  name === "id" ? "7f2c1d0e-3a4b-4c5d-8e9f-0a1b2c3d4e5f" : `fuzz-${name.toLowerCase()}`;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000000" });
  adminKey = await t.key("admin");
  doc = (await (await t.app.request("/openapi.json")).json()) as OpenApiDocument;
});
afterAll(async () => {
  rejections.stop();
  await t.close();
});

async function check(request: FuzzRequest) {
  const before = await tableCounts(t.ctx.db);
  const response = await send(t.app, request);
  const rejected = response.status >= 400;
  await expectApiAnswer(response, request);
  if (rejected) expectUnchanged(before, await tableCounts(t.ctx.db), request);
}

describe("headers and parameters of every API route", () => {
  it("a bogus key or content type is a problem+json rejection that writes nothing", async () => {
    const cases = fc.record({
      route: fc.constantFrom(...apiRoutes()),
      authorization: bogusAuthorization,
      contentType: contentTypes,
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ route, authorization, contentType }) => {
        const request: FuzzRequest = {
          method: route.method,
          path: fill(route.template, wellFormed),
          headers: { authorization, "content-type": contentType },
          body: JSON.stringify(route.sample),
        };
        const secured = (route.operation.security ?? []).length > 0;
        const before = await tableCounts(t.ctx.db);
        const response = await send(t.app, request);
        if (secured) expect(response.status, `${request.method} ${request.path}`).toBe(401);
        await expectApiAnswer(response, request);
        expectUnchanged(before, await tableCounts(t.ctx.db), request);
      }),
      fuzzParams("headers/api", 40),
    );
  });

  it("a valid key with any content type is answered without a server error", async () => {
    const routes = apiRoutes().filter((route) => route.operation.requestBody);
    const cases = fc.record({ route: fc.constantFrom(...routes), contentType: contentTypes });
    await fc.assert(
      fc.asyncProperty(cases, ({ route, contentType }) =>
        check({
          method: route.method,
          path: fill(route.template, wellFormed),
          headers: { authorization: `Bearer ${adminKey}`, "content-type": contentType },
          body: JSON.stringify(route.sample),
        }),
      ),
      fuzzParams("content-types/api", 25),
    );
  });

  it("hostile path and query parameters are problem+json rejections that write nothing", async () => {
    const routes = apiRoutes().filter((route) => (route.operation.parameters ?? []).length > 0);
    const cases = fc.record({
      route: fc.constantFrom(...routes),
      values: fc.array(hostileSegment, { minLength: 12, maxLength: 12 }),
      dropQuery: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(cases, ({ route, values, dropQuery }) => {
        let next = 0;
        const take = () => values[next++ % values.length]!;
        const query = (route.operation.parameters ?? [])
          .filter((parameter) => parameter.in === "query" && (!dropQuery || parameter.required))
          .map((parameter) => `${parameter.name}=${take()}`)
          .join("&");
        return check({
          method: route.method,
          path: fill(route.template, take) + (query ? `?${query}` : ""),
          headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
          body: JSON.stringify(route.sample),
        });
      }),
      fuzzParams("parameters/api", 40),
    );
  });

  it("no fuzzed request left an unhandled rejection behind", () => {
    expect(rejections.reasons).toEqual([]);
  });
});
