import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createClient, createResponse, createSurvey } from "./support/factories.ts";

let t: TestApp;
let key: string;

beforeAll(async () => {
  t = await createTestApp();
  key = await t.key("metrics:read");
  const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
  const client = await createClient(t.ctx.db);
  for (const at of [
    // 00:30 on Sunday 25 Oct 2026 in the Azores (still UTC+0): at 01:00Z the clocks go back
    // to 00:00 -01:00, so midnight happens twice and this instant is already on the 25th.
    "2026-10-25T00:30:00Z",
    // 00:30 on 1 Nov 2026 in Havana (UTC-4): midnight happens twice there too.
    "2026-11-01T04:30:00Z",
    // 00:30 on 1 July 2026 in Brussels, on summer time (UTC+2).
    "2026-06-30T22:30:00Z",
  ]) {
    await createResponse(t.ctx.db, {
      surveyId: survey.id,
      clientId: client.id,
      scale: "csat3",
      score: 3,
      respondedAt: new Date(at),
    });
  }
});
afterAll(() => t.close());

async function get<T>(path: string): Promise<T> {
  const response = await t.request(path, { key });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe("edges are the first instant of a local day, also when midnight happens twice", () => {
  it("a day bucket in the Azores starts at the first of the two midnights", async () => {
    const body = await get<{
      groups: Array<{ bucketLocal: string; bucketStart: string; n: number }>;
    }>("/v1/metrics/csat?from=2026-10-24&to=2026-10-26&interval=day&tz=Atlantic/Azores");
    const day = (date: string) => body.groups.find((g) => g.bucketLocal.startsWith(date))!;
    expect(day("2026-10-25").bucketStart).toBe("2026-10-25T00:00:00.000Z");
    expect(day("2026-10-25").n).toBe(1);
    expect(day("2026-10-24").n).toBe(0);
  });

  it("a month given as dates in Havana starts at the first midnight of the 1st", async () => {
    const body = await get<{ from: string; overall: { n: number } }>(
      "/v1/metrics/csat?from=2026-11-01&to=2026-12-01&tz=America/Havana",
    );
    expect(body.from).toBe("2026-11-01T04:00:00.000Z");
    expect(body.overall.n).toBe(1);
  });

  it("a skipped midnight starts the day at the first instant after the gap", async () => {
    // Asuncion skipped from 00:00 to 01:00 on 1 Oct 2023 (UTC-4 to UTC-3): the day began at
    // 01:00 local, 04:00Z.
    const body = await get<{ from: string }>(
      "/v1/metrics/csat?from=2023-10-01&to=2023-10-02&tz=America/Asuncion",
    );
    expect(body.from).toBe("2023-10-01T04:00:00.000Z");
  });
});

describe("zone names that are also abbreviations", () => {
  it("CET has summer time, as in the rest of rapport, not a fixed +01:00", async () => {
    const body = await get<{
      groups: Array<{ bucketLocal: string; bucketStart: string; n: number }>;
    }>("/v1/metrics/csat?from=2026-06-01&to=2026-08-01&interval=month&tz=CET");
    const july = body.groups.find((g) => g.bucketLocal.startsWith("2026-07"))!;
    expect(july.bucketStart).toBe("2026-06-30T22:00:00.000Z");
    expect(july.n).toBe(1);
    expect(body.groups.find((g) => g.bucketLocal.startsWith("2026-06"))!.n).toBe(0);
  });
});
