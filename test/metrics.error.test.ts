import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
let key: string;
beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("metrics:read");
});
afterAll(() => t.close());

async function problem(path: string, apiKey = key) {
  const response = await t.request(path, { key: apiKey });
  return { status: response.status, body: await problemOf(response) };
}

const ok = "from=2026-01-01&to=2026-02-01";

describe("bad metric parameters are 400 problems naming the field", () => {
  it.each([
    ["from after to", "/v1/metrics/csat?from=2026-03-01&to=2026-02-01", "from"],
    ["from equal to to", "/v1/metrics/nps?from=2026-03-01&to=2026-03-01", "from"],
    ["an unknown group", `/v1/metrics/csat?${ok}&groupBy=team,planet`, "groupBy"],
    ["an unknown zone", `/v1/metrics/nps?${ok}&tz=Mars/Olympus`, "tz"],
    ["an unknown interval", `/v1/metrics/csat?${ok}&interval=fortnight`, "interval"],
    ["an unknown credit mode", `/v1/metrics/csat?${ok}&credit=half`, "credit"],
    ["a date that is not a date", "/v1/metrics/csat?from=2026-02-30&to=2026-03-01", "from"],
    ["a time without offset", "/v1/metrics/csat?from=2026-02-01T00:00:00&to=2026-03-01", "from"],
    ["a missing to", "/v1/metrics/response-rate?from=2026-02-01", "to"],
    ["a negative minSample", `/v1/metrics/csat?${ok}&minSample=-1`, "minSample"],
    ["an unknown team", `/v1/metrics/csat?${ok}&team=nobody`, "team"],
    ["too many buckets", "/v1/metrics/csat?from=2000-01-01&to=2026-01-01&interval=day", "interval"],
    // Retention counts clients: whether work was escalated is not a client's.
    ["retention by escalation", `/v1/metrics/retention?${ok}&groupBy=team,escalation`, "groupBy"],
    ["retention of an unknown team", `/v1/metrics/retention?${ok}&team=nobody`, "team"],
    ["retention of an unknown survey", `/v1/metrics/retention?${ok}&survey=none`, "survey"],
    // The runtime reads +01:00 as UTC+1, PostgreSQL as UTC-1: only zone names are taken.
    ["a raw offset as zone", `/v1/metrics/csat?${ok}&tz=%2B01:00`, "tz"],
    [
      "an offset beyond 15:59",
      "/v1/metrics/csat?from=2026-01-01T00:00:00%2B16:00&to=2026-02-01",
      "from",
    ],
  ])("%s", async (_name, path, field) => {
    const { status, body } = await problem(path);
    expect(status).toBe(400);
    expect(body.errors?.map((e) => e.path)).toContain(field);
  });

  it("bounds at the edge of what is accepted answer, never a 5xx", async () => {
    for (const path of [
      "/v1/metrics/csat?from=2026-01-01&to=9999-12-31",
      "/v1/metrics/escalation?from=2026-01-01&to=2026-02-01&board=",
    ]) {
      const response = await t.request(path, { key });
      expect(response.status, path).toBe(200);
    }
  });

  it("the feed's updatedSince is an instant PostgreSQL can store", async () => {
    const feedKey = await t.key("responses:read");
    for (const since of [
      "0000-01-01T00:00:00Z",
      "2026-01-01T00:00:00%2B16:00",
      // Finer than nanoseconds: PostgreSQL refuses a date text past 128 characters.
      `2026-01-01T00:00:00.${"1".repeat(200)}Z`,
    ]) {
      const { status, body } = await problem(`/v1/responses?updatedSince=${since}`, feedKey);
      expect(status, since).toBe(400);
      expect(body.errors?.[0]?.path).toBe("updatedSince");
    }
  });

  it("periods and the feed take instants with RFC 3339's lower-case t and z", async () => {
    const metric = await t.request(
      "/v1/metrics/csat?from=2026-01-01t00:00:00z&to=2026-02-01t00:00:00%2B01:00",
      { key },
    );
    expect(metric.status).toBe(200);
    const feed = await t.request("/v1/responses?updatedSince=2026-01-01t00:00:00z", {
      key: await t.key("responses:read"),
    });
    expect(feed.status).toBe(200);
  });

  it("the feed refuses a forged cursor and an unknown state", async () => {
    const feedKey = await t.key("responses:read");
    const forged = await problem("/v1/responses?cursor=bm90LWEtY3Vyc29y", feedKey);
    expect(forged.status).toBe(400);
    expect(forged.body.errors?.[0]?.path).toBe("cursor");
    const since = "2026-01-01T00:00:00.000Z";
    for (const cursor of [
      { seq: 1, since, upTo: -1 },
      { seq: 1, since, upTo: 1.5 },
      { seq: 1, since, upTo: "9" },
      { seq: 1, upTo: 9 },
      { seq: 1, since, upTo: 9, extra: true },
    ]) {
      const text = Buffer.from(JSON.stringify(cursor)).toString("base64url");
      const refused = await problem(`/v1/responses?cursor=${text}`, feedKey);
      expect(refused.status, JSON.stringify(cursor)).toBe(400);
      expect(refused.body.errors?.[0]?.path).toBe("cursor");
    }
    const state = await problem("/v1/responses?state=recorded,lost", feedKey);
    expect(state.body.errors?.[0]?.path).toBe("state");
  });
});

describe("metrics and the feed need their scopes", () => {
  it("no key is 401, a key without metrics:read is 403", async () => {
    expect((await t.request(`/v1/metrics/csat?${ok}`)).status).toBe(401);
    const other = await t.key("responses:read");
    expect((await t.request(`/v1/metrics/csat?${ok}`, { key: other })).status).toBe(403);
    expect((await t.request("/v1/responses", { key })).status).toBe(403);
  });

  it("every metric endpoint and its definitions are in the OpenAPI description", async () => {
    const doc = await (await t.request("/openapi.json")).json();
    for (const path of ["csat", "nps", "response-rate", "retention", "escalation"]) {
      expect(doc.paths[`/v1/metrics/${path}`]?.get).toBeTruthy();
    }
    const csat = JSON.stringify(doc.paths["/v1/metrics/csat"]);
    expect(csat).toContain("Wilson");
    expect(csat).toContain("weighted");
    expect(JSON.stringify(doc.paths["/v1/metrics/nps"])).toContain("SE = sqrt");
    expect(doc.paths["/v1/responses"]?.get).toBeTruthy();
  });

  it("an empty minSample is the parameter left out, not 0; the document says integer", async () => {
    const answer = async (query: string) =>
      (await (await t.request(`/v1/metrics/csat?${ok}${query}`, { key })).json()) as {
        overall: { n: number; lowSample: boolean };
      };
    expect((await answer("&minSample=")).overall).toEqual((await answer("")).overall);
    expect((await answer("")).overall.lowSample).toBe(true);
    const document = (await (await t.request("/openapi.json")).json()) as {
      paths: Record<string, { get: { parameters: Array<{ name: string; schema: unknown }> } }>;
    };
    const minSample = document.paths["/v1/metrics/csat"]!.get.parameters.find(
      (parameter) => parameter.name === "minSample",
    );
    expect(minSample?.schema).toMatchObject({ type: "integer", minimum: 0, default: 30 });
  });

  it("an empty period answers zeros, not errors", async () => {
    const response = await t.request(`/v1/metrics/csat?${ok}&interval=week&groupBy=team`, { key });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.overall).toMatchObject({ n: 0, value: null, interval: null, lowSample: true });
    expect(body.groups).toEqual([]);
  });
});
