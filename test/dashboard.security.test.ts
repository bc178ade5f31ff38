import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, dashboardSessions, followups, responses } from "../src/db/schema/index.ts";
import { eraseContact } from "../src/directory/contacts.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createContact,
  createInvitation,
  createSurveyedWork,
  createTeam,
  recordAnswer,
} from "./support/factories.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Signs in through the form; answers the cookie pair (`name=value`) and the raw header. */
async function signIn(app: TestApp, key: string) {
  const response = await app.request("/dashboard/sign-in", {
    method: "POST",
    body: new URLSearchParams({ key }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  const header = response.headers.get("set-cookie") ?? "";
  return { response, header, cookie: header.split(";")[0] ?? "" };
}

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no CSRF token in the page");
  return match[1]!;
}

async function page(path: string, cookie: string) {
  return t.request(path, { headers: { cookie } });
}

function post(path: string, cookie: string, form: Record<string, string>, headers = {}) {
  return t.request(path, {
    method: "POST",
    body: new URLSearchParams(form).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...headers },
  });
}

describe("dashboard sign-in", () => {
  it("sends a visitor without a session to the sign-in page, keeping where they were going", async () => {
    const response = await t.request("/dashboard/goals?period=2026-11");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(
      `/dashboard/sign-in?next=${encodeURIComponent("/dashboard/goals?period=2026-11")}`,
    );
  });

  it("refuses an unknown key and a key without metrics:read, with an HTML message and no cookie", async () => {
    for (const key of ["rpk_not-a-real-key", await t.key("events:write")]) {
      const { response, header } = await signIn(t, key);
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toContain("text/html");
      expect(await response.text()).toContain("lacks the metrics:read scope");
      expect(header).toBe("");
    }
  });

  it("exchanges a metrics:read key for an HttpOnly, SameSite=Lax cookie whose token is stored only hashed", async () => {
    const { response, header, cookie } = await signIn(t, await t.key("metrics:read"));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/dashboard");
    expect(header).toMatch(/^rapport_session=/);
    expect(header).toContain("HttpOnly");
    expect(header).toContain("SameSite=Lax");
    expect(header).toContain("Path=/");
    expect(header).not.toContain("Secure");
    const token = cookie.split("=")[1]!;
    const rows = await t.ctx.db.select().from(dashboardSessions);
    expect(JSON.stringify(rows)).not.toContain(token);
    const overview = await page("/dashboard", cookie);
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain("Sign out");
    expect(html).not.toContain("<script");
    const csp = overview.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
  });

  it("behind https the cookie is Secure with the __Host- prefix", async () => {
    // Schemes are case-insensitive: HTTPS:// is https too.
    const secure = await createTestApp({ PUBLIC_BASE_URL: "HTTPS://rapport.example" });
    try {
      const { header, cookie } = await signIn(secure, await secure.key("metrics:read"));
      expect(header).toMatch(/^__Host-rapport_session=/);
      expect(header).toContain("Secure");
      const overview = await secure.request("/dashboard", { headers: { cookie } });
      expect(overview.status).toBe(200);
    } finally {
      await secure.close();
    }
  });

  it("follows only dashboard paths after sign-in", async () => {
    const key = await t.key("metrics:read");
    const response = await t.request("/dashboard/sign-in", {
      method: "POST",
      body: new URLSearchParams({ key, next: "https://evil.example/x" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.headers.get("location")).toBe("/dashboard");
  });

  it("shows a team lead's address only to a key that may read the directory", async () => {
    await createTeam(t.ctx.db, {
      key: "lead-desk",
      name: "Lead Desk",
      leadEmail: "lead.person@msp.example",
    });
    for (const [scopes, shown] of [
      [["metrics:read"], false],
      [["metrics:read", "responses:read"], true],
    ] as const) {
      const key = await t.key(...scopes);
      const apiAnswer = await t.request("/v1/teams/lead-desk", { key });
      expect(apiAnswer.status).toBe(shown ? 200 : 403);
      const { cookie } = await signIn(t, key);
      const html = await (await page("/dashboard/teams/lead-desk", cookie)).text();
      expect(html).toContain("Lead Desk");
      expect(html.includes("lead.person@msp.example"), scopes.join(" ")).toBe(shown);
    }
  });

  it("signing out ends the session and clears the cookie", async () => {
    const { cookie } = await signIn(t, await t.key("metrics:read"));
    const csrf = csrfOf(await (await page("/dashboard", cookie)).text());
    const before = (await t.ctx.db.select().from(dashboardSessions)).length;
    const out = await post("/dashboard/sign-out", cookie, { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/dashboard/sign-in");
    expect(out.headers.get("set-cookie")).toMatch(/rapport_session=;/);
    expect((await t.ctx.db.select().from(dashboardSessions)).length).toBe(before - 1);
    expect((await page("/dashboard", cookie)).status).toBe(303);
  });

  it("revoking the key ends its sessions at once", async () => {
    const admin = await t.key("admin");
    const created = await t.request("/v1/api-keys", {
      key: admin,
      json: { name: "to revoke", scopes: ["metrics:read"] },
    });
    const { id, key } = await created.json();
    const { cookie } = await signIn(t, key);
    expect((await page("/dashboard", cookie)).status).toBe(200);
    await t.request(`/v1/api-keys/${id}`, { key: admin, method: "DELETE" });
    const after = await page("/dashboard", cookie);
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toContain("/dashboard/sign-in");
    const [row] = await t.ctx.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(row?.revokedAt).not.toBeNull();
  });

  it("a session expires after DASHBOARD_SESSION_HOURS", async () => {
    const { cookie } = await signIn(t, await t.key("metrics:read"));
    expect((await page("/dashboard", cookie)).status).toBe(200);
    t.clock.advance(t.config.DASHBOARD_SESSION_HOURS * 3_600_000 + 1000);
    expect((await page("/dashboard", cookie)).status).toBe(303);
  });
});

/** A negative answer, which opens a follow-up. */
async function negativeAnswer(comment?: string) {
  await recordAnswer(t.ctx, {
    score: 1,
    ...(comment === undefined ? {} : { comment }),
    respondedAt: t.clock.now(),
  });
}

describe("dashboard forms and pages", () => {
  it("refuses a form without the CSRF token, or from another site, and changes nothing", async () => {
    await negativeAnswer();
    const { cookie } = await signIn(
      t,
      await t.key("metrics:read", "responses:read", "surveys:write"),
    );
    const list = await (await page("/dashboard/followups", cookie)).text();
    const id = /data-followup="([^"]+)"/.exec(list)?.[1];
    expect(id).toBeTruthy();
    const csrf = csrfOf(list);

    const missing = await post(`/dashboard/followups/${id}`, cookie, { action: "resolve" });
    expect(missing.status).toBe(403);
    expect(missing.headers.get("content-type")).toContain("text/html");
    const wrong = await post(`/dashboard/followups/${id}`, cookie, {
      action: "resolve",
      _csrf: `${csrf.slice(0, -2)}xx`,
    });
    expect(wrong.status).toBe(403);
    const crossSite = await post(
      `/dashboard/followups/${id}`,
      cookie,
      { action: "resolve", _csrf: csrf },
      { origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);
    // Resolving needs a note, as in the API.
    const noNote = await post(`/dashboard/followups/${id}`, cookie, {
      action: "resolve",
      _csrf: csrf,
      note: "  ",
    });
    expect(noNote.status).toBe(400);
    const detail = await (await page(`/dashboard/followups/${id}`, cookie)).text();
    expect(detail).toContain("status-open");

    const resolved = await post(`/dashboard/followups/${id}`, cookie, {
      action: "resolve",
      _csrf: csrf,
      note: "Called the client back",
    });
    expect(resolved.status).toBe(303);
    const after = await (await page(`/dashboard/followups/${id}`, cookie)).text();
    expect(after).toContain("status-resolved");
    expect(after).toContain("Called the client back");
  });

  it("follow-ups need the API's scopes: responses:read to see them, surveys:write to change them", async () => {
    await negativeAnswer("Only responses:read may read this");
    const metricsOnly = (await signIn(t, await t.key("metrics:read"))).cookie;
    const list = await page("/dashboard/followups", metricsOnly);
    expect(list.status).toBe(403);
    expect(await list.text()).not.toContain("Only responses:read may read this");

    const reader = (await signIn(t, await t.key("metrics:read", "responses:read"))).cookie;
    const readable = await (await page("/dashboard/followups", reader)).text();
    expect(readable).toContain("Only responses:read may read this");
    const id = /data-followup="([^"]+)"/.exec(readable)![1]!;
    const refused = await post(`/dashboard/followups/${id}`, reader, {
      action: "resolve",
      _csrf: csrfOf(readable),
      note: "closed by a read-only key",
    });
    expect(refused.status).toBe(403);
    const admin = await t.key("admin");
    const after = await (await t.request(`/v1/followups/${id}`, { key: admin })).json();
    expect(after.state).toBe("open");
  });

  it("escapes user text on every page", async () => {
    const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    await negativeAnswer(hostile);
    await createTeam(t.ctx.db, { key: "hostile-team", name: hostile });
    const { cookie } = await signIn(t, await t.key("metrics:read", "responses:read"));
    for (const path of [
      "/dashboard/followups",
      "/dashboard",
      "/dashboard/teams",
      "/dashboard/teams/hostile-team",
    ]) {
      const html = await (await page(path, cookie)).text();
      expect(html).not.toContain("<script>alert");
      expect(html).not.toContain("<img src=x");
    }
    expect(await (await page("/dashboard/followups", cookie)).text()).toContain(
      "&lt;script&gt;alert(",
    );
  });

  it("answers unknown pages and bad input with friendly HTML, never JSON", async () => {
    const { cookie } = await signIn(t, await t.key("metrics:read", "responses:read"));
    for (const [path, status] of [
      ["/dashboard/no-such-page", 404],
      ["/dashboard/followups/not-an-id", 404],
      ["/dashboard/followups/00000000-0000-4000-8000-000000000000", 404],
      ["/dashboard/responses/not-an-id", 404],
      ["/dashboard/responses/00000000-0000-4000-8000-000000000000", 404],
      ["/dashboard/goals?period=november", 400],
    ] as const) {
      const response = await page(path, cookie);
      expect(response.status, path).toBe(status);
      expect(response.headers.get("content-type"), path).toContain("text/html");
      expect(await response.text(), path).toContain("<!doctype html>");
    }
  });
});

describe("a response's page", () => {
  const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

  /** An unhappy answer clicked in a survey email, with a comment and a contact of its own. */
  async function clickedAnswer() {
    const work = await createSurveyedWork(t.ctx.db, "csat3");
    const contact = await createContact(t.ctx.db, {
      clientId: work.client.id,
      name: "Dana Example",
    });
    const { invitation, token } = await createInvitation(t.ctx.db, await appSecret(t.ctx), {
      surveyId: work.survey.id,
      clientId: work.client.id,
      contactId: contact.id,
      workItemId: work.workItem.id,
    });
    t.clock.set("2026-11-18T17:05:00Z");
    const click = await t.request(`/r/${token}/1`, {
      headers: {
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
        "accept-language": "en",
      },
    });
    expect(click.status).toBe(200);
    const [response] = await t.ctx.db
      .update(responses)
      .set({ comment: hostile })
      .where(eq(responses.invitationId, invitation.id))
      .returning();
    return { work, contact, response: response! };
  }

  it("shows the answer, where it came from, who it is credited to, its clicks and its follow-up", async () => {
    const { work, contact, response } = await clickedAnswer();
    const [followup] = await t.ctx.db
      .select()
      .from(followups)
      .where(eq(followups.responseId, response.id));
    const { cookie } = await signIn(t, await t.key("metrics:read", "responses:read"));
    const reply = await page(`/dashboard/responses/${response.id}`, cookie);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toContain("text/html");
    const html = await reply.text();
    expect(html).toContain('data-score="1"');
    expect(html).toContain("CSAT, 1–3");
    expect(html).toContain("status-recorded");
    // The comment is shown as text, never as markup.
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;alert(");
    for (const shown of [
      work.survey.key,
      work.client.name,
      work.workItem.externalId,
      work.workItem.summary,
      "Help Desk",
      contact.name!,
      work.teamA.name,
      work.teamB.name,
      work.memberA.name,
      work.memberB.name,
    ]) {
      expect(html).toContain(shown);
    }
    // Two members with no minutes logged share the credit equally.
    expect(html.match(/data-weight="0.5"/g)).toHaveLength(2);
    expect(html).toContain('data-verdict="recorded"');
    expect(html).toContain(`href="/dashboard/followups/${followup!.id}"`);
    // ...and the follow-up leads back to it.
    const caseHtml = await (await page(`/dashboard/followups/${followup!.id}`, cookie)).text();
    expect(caseHtml).toContain(`href="/dashboard/responses/${response.id}"`);
  });

  it("says the contact was erased, and shows nothing of them", async () => {
    const { contact, response } = await clickedAnswer();
    await eraseContact({ ctx: t.ctx, input: { externalId: contact.externalId } });
    const { cookie } = await signIn(t, await t.key("metrics:read", "responses:read"));
    const html = await (await page(`/dashboard/responses/${response.id}`, cookie)).text();
    expect(html).toMatch(/<th>Contact<\/th>\s*<td><span class="muted">erased<\/span>/);
    expect(html).not.toContain(contact.name!);
    expect(html).not.toContain(contact.email!);
  });

  it("needs responses:read, as the API does, and a session", async () => {
    const { response } = await clickedAnswer();
    const path = `/dashboard/responses/${response.id}`;
    const metricsOnly = (await signIn(t, await t.key("metrics:read"))).cookie;
    const refused = await page(path, metricsOnly);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("alert(");
    const anonymous = await t.request(path);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe(
      `/dashboard/sign-in?next=${encodeURIComponent(path)}`,
    );
  });
});
