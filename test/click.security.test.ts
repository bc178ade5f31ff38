import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { responses } from "../src/db/schema/index.ts";
import { createLogger } from "../src/logger.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createContact, createInvitation } from "./support/factories.ts";

const PERSON = {
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
  "accept-language": "en",
};
const FORM = { ...PERSON, "content-type": "application/x-www-form-urlencoded" };

let t: TestApp;
let secret: string;
beforeAll(async () => {
  t = await createTestApp();
  secret = await appSecret(t.ctx);
});
afterAll(() => t.close());
beforeEach(() => t.clock.set("2026-11-18T17:05:00Z"));

async function openPage(token: string, score = 3) {
  const html = await (await t.request(`/r/${token}/${score}`, { headers: PERSON })).text();
  return { html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "" };
}

const postComment = (
  token: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) =>
  t.request(`/r/${token}/comment`, {
    method: "POST",
    headers: { ...FORM, ...headers },
    body: new URLSearchParams(fields).toString(),
  });

const responseOf = async (invitationId: string) =>
  (await t.ctx.db.select().from(responses).where(eq(responses.invitationId, invitationId)))[0];

describe("tokens", () => {
  it.each([
    ["an unknown token", "AAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a malformed token", "not-a-token"],
    ["a token with markup", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"],
  ])("%s is a friendly 404 page that leaks nothing", async (_name, token) => {
    const page = await t.request(`/r/${token}/3`, { headers: PERSON });
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("This link does not work");
    expect(html).not.toContain("<script>");
    expect(html).not.toMatch(/invitation|database|token|stack/i);
  });

  it("an expired invitation is a friendly 410 page and records nothing", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret, {
      expiresAt: new Date("2026-11-18T17:04:00Z"),
    });
    const page = await t.request(`/r/${token}/3`, { headers: PERSON });
    expect(page.status).toBe(410);
    expect(await page.text()).toContain("This survey has closed");
    expect(await responseOf(invitation.id)).toBeUndefined();
  });

  it("a forged token for another invitation's hash opens nothing", async () => {
    const { token } = await createInvitation(t.ctx.db, secret);
    const forged = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect((await t.request(`/r/${forged}/3`, { headers: PERSON })).status).toBe(404);
  });
});

describe("comments", () => {
  it("are stored as text and escaped when shown", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(token);
    const attack = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const page = await postComment(token, { csrf, score: "3", comment: attack });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;");
    expect((await responseOf(invitation.id))?.comment).toBe(attack);
    const again = await openPage(token);
    expect(again.html).not.toContain("<script>alert");
  });

  it("longer than 2,000 characters are refused with a clear page and not stored", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(token);
    const page = await postComment(token, { csrf, score: "3", comment: "x".repeat(2001) });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("too long");
    expect((await responseOf(invitation.id))?.comment).toBeNull();
  });

  it("of 2,000 characters with line breaks, as the textarea allows, are saved with plain line breaks", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { html, csrf } = await openPage(token);
    expect(html).toContain('maxlength="2000"');
    // The textarea counts a line break as one character; the browser submits it as CRLF.
    const typed = `${"a".repeat(99)}\n`.repeat(19) + "b".repeat(100);
    expect(typed.length).toBe(2000);
    const page = await postComment(
      token,
      { csrf, score: "3", comment: typed.replaceAll("\n", "\r\n") },
      { origin: "http://rapport.test" },
    );
    expect(page.status).toBe(200);
    expect((await responseOf(invitation.id))?.comment).toBe(typed);
  });

  it("with old Mac line breaks (CR) are stored with plain line breaks", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(token);
    const page = await postComment(token, {
      csrf,
      score: "3",
      comment: "Fast\rFriendly\r\nThanks",
    });
    expect(page.status).toBe(200);
    expect((await responseOf(invitation.id))?.comment).toBe("Fast\nFriendly\nThanks");
  });

  it("with a NUL character are refused with a clear page, not a server error, and not stored", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(token);
    const page = await t.request(`/r/${token}/comment`, {
      method: "POST",
      headers: FORM,
      body: `csrf=${encodeURIComponent(csrf)}&score=3&comment=Thanks%00a%20lot`,
    });
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("We could not read your comment");
    expect(await responseOf(invitation.id)).toMatchObject({ score: 3, comment: null });
  });

  it.each([
    [
      "a missing form token",
      (_csrf: string) => ({ fields: { score: "1", comment: "hi" }, headers: {} }),
    ],
    [
      "a wrong form token",
      (csrf: string) => ({ fields: { csrf: `${csrf}x`, score: "1", comment: "hi" }, headers: {} }),
    ],
    [
      "a cross-site Origin",
      (csrf: string) => ({
        fields: { csrf, score: "1", comment: "hi" },
        headers: { origin: "https://evil.example" },
      }),
    ],
    [
      "Sec-Fetch-Site: cross-site",
      (csrf: string) => ({
        fields: { csrf, score: "1", comment: "hi" },
        headers: { "sec-fetch-site": "cross-site" },
      }),
    ],
  ])("with %s are refused and nothing is stored", async (_name, build) => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(token);
    const { fields, headers } = build(csrf);
    const page = await postComment(token, fields, headers);
    expect(page.status).toBe(403);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await responseOf(invitation.id)).toMatchObject({ score: 3, comment: null });
  });

  it("the form token of one invitation does not work for another", async () => {
    const first = await createInvitation(t.ctx.db, secret);
    const second = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(first.token);
    const page = await postComment(second.token, { csrf, score: "1", comment: "hi" });
    expect(page.status).toBe(403);
    expect(await responseOf(second.invitation.id)).toBeUndefined();
  });

  it("from the page itself (same origin) are accepted", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(token);
    const page = await postComment(
      token,
      { csrf, score: "3", comment: "Thanks!" },
      { origin: "http://rapport.test", "sec-fetch-site": "same-origin" },
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("your comment has been saved");
    expect((await responseOf(invitation.id))?.comment).toBe("Thanks!");
  });
});

describe("a comment and a later change", () => {
  it("a changed score within the window keeps the comment and the first answer's window", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const { csrf } = await openPage(token, 3);
    const commented = await postComment(token, { csrf, score: "3", comment: "Quick and kind" });
    expect(commented.status).toBeLessThan(400);
    const first = await responseOf(invitation.id);
    expect(first).toMatchObject({ score: 3, state: "recorded", comment: "Quick and kind" });

    t.clock.advance(5 * 60_000);
    const changed = await t.request(`/r/${token}/2`, { headers: PERSON });
    expect(changed.status).toBe(200);
    const after = await responseOf(invitation.id);
    expect(after).toMatchObject({ score: 2, state: "recorded", comment: "Quick and kind" });
    expect(after!.finalAt.getTime()).toBe(first!.finalAt.getTime());
    expect(after!.updatedAt.getTime()).toBeGreaterThanOrEqual(first!.updatedAt.getTime());
  });
});

describe("rate limit", () => {
  /** A server allowing 3 requests a minute, and a request from an address through a proxy. */
  async function limitedTo3(
    run: (hit: (ip: string) => Promise<Response>, limited: TestApp) => Promise<void>,
  ) {
    const limited = await createTestApp({ RATE_LIMIT_PER_MINUTE: "3", TRUST_PROXY: "true" });
    try {
      limited.clock.set("2026-11-18T17:05:30Z");
      await run(
        (ip) =>
          limited.request("/r/AAAAAAAAAAAAAAAAAAAAAAAA/1", {
            headers: { ...PERSON, "x-forwarded-for": ip },
          }),
        limited,
      );
    } finally {
      await limited.close();
    }
  }

  it("over the per-minute limit a client gets a friendly 429 with Retry-After", async () => {
    await limitedTo3(async (hit, limited) => {
      for (let i = 0; i < 3; i++) expect((await hit("192.0.2.1")).status).toBe(404);
      const refused = await hit("192.0.2.1");
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("30");
      expect(await refused.text()).toContain("Too many requests");
      expect((await hit("192.0.2.2")).status).toBe(404);
      limited.clock.advance(30_000);
      expect((await hit("192.0.2.1")).status).toBe(404);
    });
  });

  it("an IPv6 client is limited by its /64: new addresses of its own network do not reset it", async () => {
    await limitedTo3(async (hit) => {
      const statuses: number[] = [];
      for (let i = 1; i <= 6; i++) {
        statuses.push((await hit(`2001:db8:1:2::${i.toString(16)}`)).status);
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429, 429]);
      // Written another way, the same network is still the same client.
      expect((await hit("2001:0DB8:0001:0002:ffff:0:0:1")).status).toBe(429);
      // Another /64 is another client.
      expect((await hit("2001:db8:1:3::1")).status).toBe(404);
    });
  });
});

describe("request log", () => {
  it("never carries a link token, however the path is encoded", async () => {
    const lines: string[] = [];
    const logged = createApp({
      ...t.services,
      logger: createLogger("info", { write: (line: string) => void lines.push(line) }),
    });
    const { token } = await createInvitation(t.ctx.db, secret);
    // `%72` and `%75` are `r` and `u`: the router decodes them, so these reach the pages too.
    for (const path of [`/r/${token}/3`, `/%72/${token}/2`, `/u/${token}`, `/%75/${token}`]) {
      const page = await logged.request(path, { headers: PERSON });
      expect(page.status).toBe(200);
    }
    // Paths no page takes still end in a log line and a 404 problem naming the path.
    for (const path of [`/R/${token}/3`, `//r/${token}/3`, `/U/${token}`]) {
      const missing = await logged.request(path, { headers: PERSON });
      expect(missing.status).toBe(404);
      expect(await missing.text()).not.toContain(token);
    }
    expect(lines).toHaveLength(7);
    expect(lines.join("\n")).not.toContain(token);
    expect(lines.map((line) => JSON.parse(line).path)).toEqual([
      "/r/~/3",
      "/r/~/2",
      "/u/~",
      "/u/~",
      "/R/~/3",
      "/r/~/3",
      "/U/~",
    ]);
  });
});

describe("the comment form's refusals", () => {
  it("speak the contact's language, as the page that held the form did", async () => {
    const contact = await createContact(t.ctx.db, { locale: "de" });
    const { token } = await createInvitation(t.ctx.db, secret, {
      contactId: contact.id,
      clientId: contact.clientId,
    });
    const { html, csrf } = await openPage(token);
    expect(html).toContain('lang="de"');
    const heading = async (response: Response) =>
      /<h1>(.*?)<\/h1>/.exec(await response.text())?.[1];
    const refused = await postComment(token, { csrf: `${csrf.slice(0, -1)}x`, score: "3" });
    expect(refused.status).toBe(403);
    expect(await heading(refused)).toBe("Dieses Formular konnten wir nicht annehmen");
    const tooLong = await postComment(token, { csrf, score: "3", comment: "x".repeat(2001) });
    expect(tooLong.status).toBe(400);
    expect(await heading(tooLong)).toBe("Ihr Kommentar ist zu lang");
  });
});
