import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, dashboardCookie, type TestApp } from "./support/app.ts";
import { createClientBook, recordAnswer } from "./support/factories.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no CSRF token in the page");
  return match[1]!;
}

describe("overview retention trend on a window that starts mid-month", () => {
  // Retention compares its latest whole month with the month before (README). On Sunday 29 Nov
  // 2026 the window is [2026-09-07, 2026-11-30): September is only its last 24 days, not a
  // month to compare with. Churn here is steady (one client leaves on the 5th of every month):
  // no falling trend.
  it("does not compare the latest whole month with a partial first month of the window", async () => {
    t.clock.set("2026-11-29T12:00:00Z");
    const key = await t.key("metrics:read");
    await createClientBook(t.ctx.db, ["2026-09-05", "2026-10-05", "2026-11-05"]);
    const cookie = await dashboardCookie(t, key);
    const html = await (await t.request("/dashboard", { headers: { cookie } })).text();
    expect(html).toContain("2026-09-07 to 2026-11-29");
    const card = /data-metric="retention"(.*?)<\/section>/s.exec(html)?.[1] ?? "";
    const trend = /<div class="meta trend-(up|down|flat)">([^<]*)<\/div>/.exec(card);
    expect(trend?.[1], trend?.[2]).not.toBe("down");
  });
});

describe("acting on a follow-up from the list", () => {
  // A manager working through one team's open cases acts from the list and comes back to it,
  // its filters kept, with a "Saved." notice.
  it("returns to the filtered list the action came from, with its Saved notice", async () => {
    const key = await t.key("metrics:read", "responses:read", "surveys:write");
    const { work } = await recordAnswer(t.ctx, {
      score: 1,
      comment: "Still broken",
      respondedAt: t.clock.now(),
    });
    const cookie = await dashboardCookie(t, key);
    const listPath = `/dashboard/followups?state=open&team=${work.teamA.key}`;
    const html = await (await t.request(listPath, { headers: { cookie } })).text();
    // Submit the list's own acknowledge form as the browser would (entities decoded).
    const form =
      /<form method="post" action="(\/dashboard\/followups\/[^"]+)" class="inline">(.*?)<\/form>/s.exec(
        html,
      );
    expect(form).not.toBeNull();
    const fields: Record<string, string> = {};
    for (const m of form![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      fields[m[1]!] = m[2]!.replaceAll("&amp;", "&");
    }
    expect(fields._csrf).toBe(csrfOf(html));
    const response = await t.request(form![1]!, {
      method: "POST",
      body: new URLSearchParams(fields).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    });
    expect(response.status).toBe(303);
    const location = response.headers.get("location") ?? "";
    expect(location).toMatch(/^\/dashboard\/followups\?/);
    expect(location).toContain(`team=${work.teamA.key}`);
    expect(location).toContain("done=1");
  });
});
