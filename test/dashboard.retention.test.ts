import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, dashboardCookie, type TestApp } from "./support/app.ts";
import { createClientBook } from "./support/factories.ts";

let t: TestApp;
let cookie: string;
let key: string;

beforeAll(async () => {
  t = await createTestApp();
  // Wednesday 18 November 2026: the window is [2026-08-31, 2026-11-19), November is 18 days in.
  t.clock.set("2026-11-18T17:00:00Z");
  key = await t.key("metrics:read", "responses:read");
  // A steady book: 20 clients, exactly one leaves on the 25th of every month.
  await createClientBook(t.ctx.db, ["2026-09-25", "2026-10-25", "2026-11-25"]);
  cookie = await dashboardCookie(t, key);
});
afterAll(() => t.close());

describe("overview retention trend", () => {
  it("compares whole months: not 18 days of November with all of October", async () => {
    const response = await t.request("/dashboard", { headers: { cookie } });
    expect(response.status).toBe(200);
    const html = await response.text();
    const card = /data-metric="retention"(.*?)<\/section>/s.exec(html)?.[1] ?? "";
    // What the API says per month over the page's window.
    const api = await (
      await t.request("/v1/metrics/retention?from=2026-08-31&to=2026-11-19&interval=month", { key })
    ).json();
    const byMonth = Object.fromEntries(
      api.groups.map(
        (g: { bucketStart: string; bucketLocal: string; value: number; n: number }) => [
          `${g.bucketStart.slice(0, 10)}..`,
          `${g.value}% n=${g.n}`,
        ],
      ),
    );
    // Sep: 20 -> 19 (95%), Oct: 19 -> 18 (94.7%): churn is steady, one client a month. November
    // (Nov 1 - Nov 19, partial) shows 100% only because its client leaves on the 25th.
    expect(byMonth).toMatchObject({
      "2026-09-01..": "95% n=20",
      "2026-11-01..": "100% n=18",
    });
    const trend = /<div class="meta trend-(up|down|flat)">([^<]*)<\/div>/.exec(card);
    // A like-for-like comparison (whole months, or the same 18 days of October) is not a rise.
    expect(trend?.[1], trend?.[2]).not.toBe("up");
  });
});
