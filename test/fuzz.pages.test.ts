import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createInvitation } from "./support/factories.ts";
import {
  contentTypes,
  expectApiAnswer,
  expectPageAnswer,
  expectUnchanged,
  type FuzzRequest,
  fuzzParams,
  hostileBody,
  hostileSegment,
  isHeaderValue,
  nearToken,
  send,
  tableCounts,
  watchUnhandledRejections,
} from "./support/fuzz.ts";

/**
 * Pages for people — score links, the comment form, unsubscribe, the dashboard — with hostile
 * tokens, paths, form bodies and headers: whatever goes wrong is a friendly HTML page, never JSON
 * and never a server error, and a refused request writes nothing.
 */

let t: TestApp;
let token: string;
let session: string;
const rejections = watchUnhandledRejections();

beforeAll(async () => {
  // A small body limit, so that hostile bodies also meet the limit on page routes.
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000000", BODY_LIMIT_BYTES: "4096" });
  const secret = await appSecret(t.ctx);
  ({ token } = await createInvitation(t.ctx.db, secret));
  const signIn = await t.app.request("/dashboard/sign-in", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ key: await t.key("metrics:read") }).toString(),
  });
  session = /rapport_session=([^;]+)/.exec(signIn.headers.get("set-cookie") ?? "")?.[1] ?? "";
  expect(session).not.toBe("");
});
afterAll(async () => {
  rejections.stop();
  await t.close();
});

async function check(request: FuzzRequest) {
  const before = await tableCounts(t.ctx.db);
  const response = await send(t.app, request);
  const rejected = response.status >= 400;
  // `%2e%2e` is `..` to URL parsing: such a request leaves the pages, and is judged as API.
  const landed = new URL(request.path, "http://rapport.test").pathname;
  if (/^\/(r|u|dashboard)(\/|$)/.test(landed)) await expectPageAnswer(response, request);
  else await expectApiAnswer(response, request);
  if (rejected) expectUnchanged(before, await tableCounts(t.ctx.db), request);
}

const tokens = () => fc.oneof(hostileSegment, nearToken(token));
const scores = fc.oneof(
  fc.constantFrom("0", "1", "2", "3", "5", "10", "11", "-1", "1.5", "1e1", "0x1", " 1", "%31"),
  hostileSegment,
);
const methods = fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
const pageHeaders = fc.record({
  "content-type": contentTypes,
  "accept-language": fc.oneof(
    fc.constantFrom(undefined, "", "de-DE,de;q=0.9", "*", "xx-INVALID;q=abc", "en;q=2"),
    fc.string({ maxLength: 60 }).filter(isHeaderValue),
  ),
  "user-agent": fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 80 }).filter(isHeaderValue),
  ),
  origin: fc.constantFrom(undefined, "null", "http://rapport.test", "https://evil.example"),
  "sec-purpose": fc.constantFrom(undefined, "prefetch", "prefetch;prerender"),
});
const formBodies = fc.oneof(
  hostileBody({ comment: "Thanks", score: "3", csrf: "x" }),
  fc
    .dictionary(
      fc.constantFrom("comment", "score", "csrf", "List-Unsubscribe", "key", "next", "__proto__"),
      fc.oneof(
        fc.string({ maxLength: 50 }),
        fc.constant("One-Click"),
        fc.constant("x".repeat(5000)),
      ),
    )
    .map((form) => new URLSearchParams(form).toString()),
);

describe("pages for people under bad input", () => {
  it("score links with hostile tokens and scores answer an HTML page", async () => {
    const cases = fc.record({
      token: tokens(),
      score: scores,
      method: fc.constantFrom("GET", "GET", "HEAD"),
      headers: pageHeaders,
    });
    await fc.assert(
      fc.asyncProperty(cases, (c) =>
        check({ method: c.method, path: `/r/${c.token}/${c.score}`, headers: c.headers }),
      ),
      fuzzParams("tokens/click", 30),
    );
  });

  it("comment and unsubscribe forms with hostile tokens, bodies and headers answer an HTML page", async () => {
    const cases = fc.record({
      path: fc.oneof(
        tokens().map((value) => `/r/${value}/comment`),
        tokens().map((value) => `/u/${value}`),
        fc.tuple(tokens(), hostileSegment).map(([a, b]) => `/u/${a}/${b}`),
        fc.tuple(tokens(), hostileSegment).map(([a, b]) => `/r/${a}/${b}/${b}`),
      ),
      method: methods,
      headers: pageHeaders,
      body: formBodies,
    });
    await fc.assert(
      fc.asyncProperty(cases, (c) =>
        check({ method: c.method, path: c.path, headers: c.headers, body: c.body }),
      ),
      fuzzParams("forms/pages", 30),
    );
  });

  it("dashboard paths, sessions and forms answer an HTML page", async () => {
    const cases = fc.record({
      path: fc.oneof(
        fc.constantFrom(
          "/dashboard",
          "/dashboard/sign-in",
          "/dashboard/sign-out",
          "/dashboard/teams",
          "/dashboard/followups",
          "/dashboard/goals",
          "/dashboard/escalations",
        ),
        hostileSegment.map((segment) => `/dashboard/${segment}`),
        hostileSegment.map((segment) => `/dashboard/teams/${segment}`),
        hostileSegment.map((segment) => `/dashboard/members/${segment}`),
        hostileSegment.map((segment) => `/dashboard/followups/${segment}`),
        hostileSegment.map((segment) => `/dashboard/responses/${segment}`),
        hostileSegment.map((segment) => `/dashboard/goals?period=${segment}`),
        hostileSegment.map((segment) => `/dashboard/sign-in?next=${segment}`),
      ),
      method: methods,
      cookie: fc.oneof(
        fc.constant(undefined),
        fc.constant("signed-in"),
        hostileSegment.map((value) => `rapport_session=${value}`),
      ),
      headers: pageHeaders,
      body: formBodies,
    });
    await fc.assert(
      fc.asyncProperty(cases, (c) =>
        check({
          method: c.method,
          path: c.path,
          headers: {
            ...c.headers,
            cookie: c.cookie === "signed-in" ? `rapport_session=${session}` : c.cookie,
          },
          body: c.body,
        }),
      ),
      fuzzParams("paths/dashboard", 30),
    );
  });

  it("no fuzzed request left an unhandled rejection behind", () => {
    expect(rejections.reasons).toEqual([]);
  });
});
