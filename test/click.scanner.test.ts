import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ClickWindowEntry,
  clicks,
  contacts,
  invitations,
  responses,
  surveys,
} from "../src/db/schema/index.ts";
import { insertClickIfUnchanged, type SnapshotCheck } from "../src/responses/click-statements.ts";
import { postComment } from "../src/responses/post-comment.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { createInvitation, createSurvey } from "./support/factories.ts";

const PERSON = {
  "user-agent":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  "accept-language": "en-US,en;q=0.9",
  "x-forwarded-for": "203.0.113.7",
};
// A gateway that fetches links like a browser: nothing in its headers gives it away.
const DISGUISED_SCANNER = {
  "user-agent":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "accept-language": "en-US",
  "x-forwarded-for": "198.51.100.20",
};

let t: TestApp;
let secret: string;
beforeAll(async () => {
  t = await createTestApp({ TRUST_PROXY: "true" });
  secret = await appSecret(t.ctx);
});
afterAll(() => t.close());
beforeEach(() => t.clock.set("2026-11-18T17:05:00Z"));

const click = (token: string, score: number, headers: Record<string, string>, method = "GET") =>
  t.request(`/r/${token}/${score}`, { headers, method });

/** The person's browser following a score link on the invitation's thank-you page. */
const onPage = (token: string) => ({
  ...PERSON,
  "sec-fetch-site": "same-origin",
  referer: `http://rapport.test/r/${token}/3`,
});

/** The person sends the page's form: the score shown, and a comment (empty to confirm). */
function sendForm(token: string, pageHtml: string, score: number, comment: string) {
  const csrf = /name="csrf" value="([^"]+)"/.exec(pageHtml)?.[1] ?? "";
  return t.request(`/r/${token}/comment`, {
    method: "POST",
    body: new URLSearchParams({ csrf, score: String(score), comment }).toString(),
    headers: {
      ...PERSON,
      "content-type": "application/x-www-form-urlencoded",
      origin: "http://rapport.test",
    },
  });
}

async function state(invitationId: string) {
  const rows = await t.ctx.db
    .select()
    .from(responses)
    .where(eq(responses.invitationId, invitationId));
  const evidence = await t.ctx.db
    .select()
    .from(clicks)
    .where(eq(clicks.invitationId, invitationId))
    .orderBy(clicks.at);
  return { rows, evidence };
}

describe("link scanners cannot answer for a person", () => {
  it("a scanner burst over all the links then the person's click records only the person's score", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    for (const score of [4, 1, 5, 2, 3]) {
      expect((await click(token, score, DISGUISED_SCANNER)).status).toBe(200);
      t.clock.advance(150);
    }
    let { rows, evidence } = await state(invitation.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.state).toBe("quarantined");
    expect(evidence.map((c) => c.verdict)).toEqual(Array(5).fill("quarantined"));

    t.clock.advance(4_000);
    expect((await click(token, 2, PERSON)).status).toBe(200);
    ({ rows, evidence } = await state(invitation.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 2 });
    expect(evidence).toHaveLength(6);
    expect(evidence.filter((c) => c.verdict === "recorded").map((c) => c.score)).toEqual([2]);
    for (const row of evidence) expect(row.ipHash).not.toContain("203.0.113.7");
  });

  it("a click taken for a scanner's asks the person to confirm, and confirming records it", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    // A gateway detonating each link from another address of its pool.
    for (const [n, score] of [4, 1, 5, 2, 3].entries()) {
      const from = { ...DISGUISED_SCANNER, "x-forwarded-for": `198.51.100.${30 + n}` };
      expect((await click(token, score, from)).status).toBe(200);
      t.clock.advance(150);
    }
    // The person, seconds later, is inside the burst: their click cannot tell itself apart.
    t.clock.advance(4_000);
    const page = await click(token, 2, PERSON);
    const html = await page.text();
    expect((await state(invitation.id)).rows[0]?.state).toBe("quarantined");
    expect(html).toContain("Please confirm your answer");
    expect(html).toContain("Confirm my answer");
    const confirmed = await sendForm(token, html, 2, "");
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).not.toContain("Please confirm your answer");
    expect((await state(invitation.id)).rows[0]).toMatchObject({ state: "recorded", score: 2 });
  });

  it("two gateways that each open every link still leave only the person's score", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    const otherGateway = {
      ...DISGUISED_SCANNER,
      "user-agent": DISGUISED_SCANNER["user-agent"].replace("120.0", "119.0"),
      "x-forwarded-for": "198.51.100.99",
    };
    for (const gateway of [DISGUISED_SCANNER, otherGateway]) {
      for (const score of [1, 2, 3]) {
        await click(token, score, gateway);
        t.clock.advance(100);
      }
    }
    t.clock.advance(3_000);
    const html = await (await click(token, 3, PERSON)).text();
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 3 });
    expect(evidence.map((c) => c.verdict)).toEqual([...Array(6).fill("quarantined"), "recorded"]);
    expect(html).not.toContain("Please confirm your answer");
  });

  it("an answer confirmed with the form stays when the rotating burst goes on", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    const pool = (n: number) => ({
      ...DISGUISED_SCANNER,
      "x-forwarded-for": `198.51.100.${30 + n}`,
    });
    await click(token, 4, pool(0));
    t.clock.advance(1_000);
    await click(token, 1, pool(1));
    t.clock.advance(1_000);
    const html = await (await click(token, 2, PERSON)).text();
    expect(html).toContain("Confirm my answer");
    t.clock.advance(3_000);
    const confirmed = await sendForm(token, html, 2, "");
    expect(confirmed.status).toBe(200);
    expect((await state(invitation.id)).rows[0]).toMatchObject({ state: "recorded", score: 2 });
    // The pool goes on opening links, the person's link click still inside the window.
    t.clock.advance(2_000);
    await click(token, 5, pool(2));
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 2 });
    expect(evidence.find((c) => c.reason === "comment")?.verdict).toBe("recorded");
  });

  it("a scanner's answer given before its burst is undone by the burst", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(8_000);
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(4_000);
    await click(token, 2, DISGUISED_SCANNER);
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]?.state).toBe("quarantined");
    expect(evidence.map((c) => c.verdict)).toEqual(["quarantined", "quarantined", "quarantined"]);
    // The person's click afterwards is theirs alone.
    t.clock.advance(3_000);
    await click(token, 3, PERSON);
    expect((await state(invitation.id)).rows[0]).toMatchObject({ state: "recorded", score: 3 });
  });

  it("a burst does not fall back to its own sender's older answer", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(20_000);
    await click(token, 2, DISGUISED_SCANNER);
    t.clock.advance(1_000);
    await click(token, 3, DISGUISED_SCANNER);
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]?.state).toBe("quarantined");
    expect(evidence.map((c) => c.verdict)).toEqual(["quarantined", "quarantined", "quarantined"]);
  });

  it("a final answer stays when the person's browser later opens two links in a burst", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 1, PERSON);
    t.clock.advance(2 * 86_400_000);
    await click(token, 3, PERSON);
    t.clock.advance(2_000);
    const html = await (await click(token, 2, PERSON)).text();
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 1 });
    expect(evidence.map((c) => c.verdict)).toEqual(["recorded", "final", "quarantined"]);
    expect(html).not.toContain("Confirm my answer");
  });

  it("a burst whose first click fell in the edit window's last moment does not leave a final answer", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    await click(token, 4, PERSON);
    // The default edit window is 30 minutes: a gateway rescans the email around its end.
    t.clock.advance(30 * 60_000 - 100);
    for (const score of [1, 2, 3, 5]) {
      await click(token, score, DISGUISED_SCANNER);
      t.clock.advance(200);
    }
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 4 });
    expect(evidence.map((c) => c.verdict)).toEqual(["recorded", ...Array(4).fill("quarantined")]);
  });

  it("a click that records the answer asks for no confirmation", async () => {
    const { token } = await createInvitation(t.ctx.db, secret);
    t.clock.advance(60_000);
    const html = await (await click(token, 3, PERSON)).text();
    expect(html).toContain('data-score="3"');
    expect(html).not.toContain("Please confirm your answer");
    expect(html).toContain("Send comment");
  });

  it("a burst after the person answered leaves the person's answer in place", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 3, PERSON);
    t.clock.advance(60_000);
    for (const score of [1, 2, 3]) {
      await click(token, score, DISGUISED_SCANNER);
      t.clock.advance(100);
    }
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 3 });
    expect(evidence.filter((c) => c.verdict === "quarantined")).toHaveLength(3);
  });

  it("a person may change their answer from the thank-you page within seconds", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 3, PERSON);
    t.clock.advance(3_000);
    await click(token, 2, onPage(token));
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 2 });
    expect(evidence.map((c) => c.verdict)).toEqual(["recorded", "changed"]);
  });

  it("the same quick change straight from the email links is held as a burst", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 3, PERSON);
    t.clock.advance(3_000);
    await click(token, 2, PERSON);
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]?.state).toBe("quarantined");
    expect(evidence.map((c) => c.verdict)).toEqual(["quarantined", "quarantined"]);
  });

  it("HEAD requests record nothing", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    for (const score of [1, 2, 3]) {
      const response = await click(token, score, PERSON, "HEAD");
      expect(response.status).toBe(200);
    }
    const { rows, evidence } = await state(invitation.id);
    expect(rows).toHaveLength(0);
    expect(evidence.every((c) => c.verdict === "ignored" && c.reason === "head")).toBe(true);
  });

  it("prefetch requests record nothing and do not count as a burst", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    const hints: Record<string, string>[] = [
      { purpose: "prefetch" },
      { "sec-purpose": "prefetch;prerender" },
      { "x-moz": "prefetch" },
    ];
    for (const [index, hint] of hints.entries()) {
      expect((await click(token, index + 1, { ...PERSON, ...hint })).status).toBe(200);
    }
    expect((await state(invitation.id)).rows).toHaveLength(0);
    await click(token, 1, PERSON);
    expect((await state(invitation.id)).rows[0]).toMatchObject({ state: "recorded", score: 1 });
  });

  it.each([
    [
      "Microsoft Defender",
      { "user-agent": "Mozilla/5.0 (compatible; BingPreview/1.0b)", "accept-language": "en" },
    ],
    ["python-requests", { "user-agent": "python-requests/2.32.3", "accept-language": "en" }],
    [
      "headless Chrome",
      {
        "user-agent": "Mozilla/5.0 HeadlessChrome/142.0.0.0 Safari/537.36",
        "accept-language": "en",
      },
    ],
    ["a client without Accept-Language", { "user-agent": PERSON["user-agent"] }],
  ])("%s is flagged, and a later human click records", async (_name, headers) => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 1, headers);
    let { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "flagged", score: 1 });
    expect(evidence[0]?.verdict).toBe("flagged");
    t.clock.advance(30_000);
    await click(token, 3, PERSON);
    ({ rows, evidence } = await state(invitation.id));
    expect(rows[0]).toMatchObject({ state: "recorded", score: 3 });
    expect(evidence.map((c) => c.verdict)).toEqual(["flagged", "recorded"]);
  });

  it("a click within seconds of delivery is flagged", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret, {
      deliveredAt: new Date("2026-11-18T17:04:58Z"),
    });
    await click(token, 2, PERSON);
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]?.state).toBe("flagged");
    expect(evidence[0]?.reason).toBe("too-soon-after-delivery");
  });

  it("a comment after a quarantined click records the person's answer", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 1, DISGUISED_SCANNER);
    await click(token, 3, DISGUISED_SCANNER);
    const page = await (await click(token, 2, DISGUISED_SCANNER)).text();
    expect((await state(invitation.id)).rows[0]?.state).toBe("quarantined");
    const posted = await sendForm(token, page, 2, "Fixed quickly");
    expect(posted.status).toBe(200);
    expect((await state(invitation.id)).rows[0]).toMatchObject({
      state: "recorded",
      score: 2,
      comment: "Fixed quickly",
    });
  });
});

describe("the person's own actions stay out of later bursts", () => {
  it("a change made on the thank-you page is never counted in a later scanner burst", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 3, PERSON);
    t.clock.advance(3_000);
    await click(token, 2, onPage(token));
    // A scanner opens the links a moment later.
    t.clock.advance(2_000);
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(200);
    await click(token, 3, DISGUISED_SCANNER);

    const { rows, evidence } = await state(invitation.id);
    const person = evidence.filter((c) => c.userAgent === PERSON["user-agent"]);
    expect(person.map((c) => [c.verdict, c.fromPage])).toEqual([
      ["recorded", false],
      ["changed", true],
    ]);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 2 });
  });

  it("a scanner that also follows the page's links is still a burst, its page click included", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(200);
    await click(token, 5, {
      ...DISGUISED_SCANNER,
      "sec-fetch-site": "same-origin",
      referer: `http://rapport.test/r/${token}/1`,
    });
    t.clock.advance(200);
    await click(token, 2, DISGUISED_SCANNER);
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]?.state).not.toBe("recorded");
    expect(evidence.map((c) => c.verdict)).toEqual(["quarantined", "quarantined", "quarantined"]);
  });

  it("a scanner's page clicks after its burst are taken back too", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(200);
    await click(token, 2, DISGUISED_SCANNER);
    // Then it follows a score link of the page it was shown.
    t.clock.advance(200);
    await click(token, 5, {
      ...DISGUISED_SCANNER,
      "sec-fetch-site": "same-origin",
      referer: `http://rapport.test/r/${token}/2`,
    });
    const { rows, evidence } = await state(invitation.id);
    expect(rows[0]?.state).toBe("quarantined");
    expect(evidence.map((c) => c.verdict)).toEqual(["quarantined", "quarantined", "quarantined"]);
  });

  it("an answer given with a comment survives a later burst that undoes a scanner's change", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 1, DISGUISED_SCANNER);
    await click(token, 3, DISGUISED_SCANNER);
    const page = await (await click(token, 2, DISGUISED_SCANNER)).text();
    t.clock.advance(60_000);
    const posted = await sendForm(token, page, 2, "Fixed quickly");
    expect(posted.status).toBe(200);
    // The comment is kept as the answer's evidence, given on the page.
    expect((await state(invitation.id)).evidence.at(-1)).toMatchObject({
      verdict: "recorded",
      reason: "comment",
      score: 2,
      fromPage: true,
      userAgent: PERSON["user-agent"],
    });

    // Within the edit window a scanner opens the links again: its first click is taken for a
    // change, its second makes the burst that undoes it.
    t.clock.advance(60_000);
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(200);
    await click(token, 3, DISGUISED_SCANNER);

    const { rows, evidence } = await state(invitation.id);
    expect(evidence.slice(-2).map((c) => c.verdict)).toEqual(["quarantined", "quarantined"]);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 2, comment: "Fixed quickly" });
  });
});

describe("clicks decided on a snapshot", () => {
  it("a scanner burst racing a person's repeat clicks ends as if every click came alone", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    await click(token, 3, PERSON);
    t.clock.advance(60_000);
    const scannerScores = [1, 2, 4, 5];
    const pages = await Promise.all([
      ...Array.from({ length: 12 }, () => click(token, 3, PERSON)),
      ...scannerScores.map((score) => click(token, score, DISGUISED_SCANNER)),
    ]);
    expect(pages.map((page) => page.status)).toEqual(Array(16).fill(200));
    const { rows, evidence } = await state(invitation.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 3 });
    // Every click is kept once: none lost by a stale snapshot, none kept twice by its retry.
    expect(evidence).toHaveLength(17);
    const scanner = evidence.filter((row) => row.score !== 3);
    expect(scanner.map((row) => row.verdict)).toEqual(Array(4).fill("quarantined"));
    const person = evidence.filter((row) => row.score === 3);
    expect(person.every((row) => ["recorded", "changed"].includes(row.verdict))).toBe(true);
  });

  it("a snapshot's click is kept only while the invitation's click version is unchanged", async () => {
    const { invitation } = await createInvitation(t.ctx.db, secret);
    const record = {
      invitationId: invitation.id,
      score: 2,
      verdict: "recorded",
      reason: "repeat",
      userAgent: null,
      acceptLanguage: null,
      ipHash: null,
      at: t.clock.now(),
      fromPage: false,
    };
    const window: ClickWindowEntry[] = [["sender", 2, record.at.getTime()]];
    const times = { sentAt: invitation.sentAt, deliveredAt: invitation.deliveredAt };
    const keep = (version: number, check: Partial<SnapshotCheck> = {}) =>
      insertClickIfUnchanged(t.ctx.db, record, { version, window, ...times, ...check });
    expect(await keep(1)).toBeUndefined();
    expect((await state(invitation.id)).evidence).toHaveLength(0);
    // Kept: the page data come back as they are now.
    expect(await keep(0)).toEqual({
      locale: "en",
      followUpQuestions: { en: "What should we have done differently?" },
    });
    // The version moved on: the same snapshot cannot be used twice.
    expect(await keep(0, { window: [] })).toBeUndefined();
    const [row] = await t.ctx.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    expect(row?.clickVersion).toBe(1);
    // The window is written with the click it was decided with.
    expect(row?.clickWindow).toEqual(window);
    expect((await state(invitation.id)).evidence).toHaveLength(1);

    // A delivery reported since the snapshot: the scanner signature must be read again.
    const delivered = new Date(t.clock.now().getTime() - 1_000);
    await t.ctx.db
      .update(invitations)
      .set({ deliveredAt: delivered })
      .where(eq(invitations.id, invitation.id));
    expect(await keep(1)).toBeUndefined();
    // Times the database keeps to the microsecond are compared as the runtime reads them.
    await t.ctx.db.execute(
      sql`update invitations set delivered_at = ${delivered.toISOString().replace("Z", "789Z")}::timestamptz where id = ${invitation.id}`,
    );
    expect(await keep(1, { deliveredAt: delivered })).toBeDefined();

    await t.ctx.db
      .update(invitations)
      .set({ status: "cancelled" })
      .where(eq(invitations.id, invitation.id));
    expect(await keep(2, { deliveredAt: delivered })).toBeUndefined();
    expect((await state(invitation.id)).evidence).toHaveLength(2);
  });

  it("an invitation whose click window is unknown is decided from its clicks, and gets a window", async () => {
    const survey = await createSurvey(t.ctx.db, { scale: "csat5" });
    const { invitation, token } = await createInvitation(t.ctx.db, secret, { surveyId: survey.id });
    const forget = () =>
      t.ctx.db
        .update(invitations)
        .set({ clickWindow: null })
        .where(eq(invitations.id, invitation.id));
    const windowOf = async () => {
      const [row] = await t.ctx.db
        .select({ window: invitations.clickWindow })
        .from(invitations)
        .where(eq(invitations.id, invitation.id));
      return row!.window;
    };
    expect(await windowOf()).toEqual([]);
    await click(token, 3, PERSON);
    t.clock.advance(60_000);
    await click(token, 1, DISGUISED_SCANNER);
    t.clock.advance(1_000);
    await click(token, 2, DISGUISED_SCANNER);
    await forget();
    t.clock.advance(1_000);
    // The person's own score again: alone a repeat, but the sender opened three scores within
    // the burst window. The clicks tell, since the window does not.
    await click(token, 3, DISGUISED_SCANNER);
    let { rows, evidence } = await state(invitation.id);
    expect(rows[0]).toMatchObject({ state: "recorded", score: 3 });
    expect(evidence.map((row) => row.verdict)).toEqual([
      "recorded",
      "quarantined",
      "quarantined",
      "quarantined",
    ]);
    const now = t.clock.now().getTime();
    expect((await windowOf())?.map(([, score, at]) => [score, at])).toEqual([
      [1, now - 2_000],
      [2, now - 1_000],
      [3, now],
    ]);

    // A person's repeat clicks are then decided on the window and kept with it.
    t.clock.advance(60_000);
    await click(token, 5, PERSON);
    await forget();
    t.clock.advance(1_000);
    await click(token, 5, PERSON);
    t.clock.advance(1_000);
    await click(token, 5, PERSON);
    ({ rows, evidence } = await state(invitation.id));
    expect(rows[0]).toMatchObject({ state: "recorded", score: 5 });
    expect(evidence.slice(4).map((row) => [row.verdict, row.reason])).toEqual([
      ["changed", null],
      ["recorded", "repeat"],
      ["recorded", "repeat"],
    ]);
    // The scanner's entries are past the window and its margin: only the person's remains.
    expect((await windowOf())?.map(([, score, at]) => [score, at])).toEqual([
      [5, t.clock.now().getTime()],
    ]);
  });

  describe("a repeat click decided on the snapshot its link left", () => {
    /** Clicks a link twice, apart: the second is kept on a snapshot, which is remembered. */
    async function answeredTwice(score: number, surveyValues: Parameters<typeof createSurvey>[1]) {
      const survey = await createSurvey(t.ctx.db, { scale: "csat5", ...surveyValues });
      const { invitation, token } = await createInvitation(t.ctx.db, secret, {
        surveyId: survey.id,
      });
      for (let i = 0; i < 2; i++) {
        expect((await click(token, score, PERSON)).status).toBe(200);
        t.clock.advance(20_000);
      }
      const { evidence } = await state(invitation.id);
      expect(evidence.map((row) => [row.verdict, row.reason])).toEqual([
        ["recorded", null],
        ["recorded", "repeat"],
      ]);
      return { survey, invitation, token };
    }

    it("sees an answer another instance changed since", async () => {
      const { invitation, token } = await answeredTwice(4, {});
      // Another instance's decision: a new answer, and the click version moved.
      await t.ctx.db
        .update(responses)
        .set({ score: 2 })
        .where(eq(responses.invitationId, invitation.id));
      await t.ctx.db
        .update(invitations)
        .set({ clickVersion: sql`${invitations.clickVersion} + 1` })
        .where(eq(invitations.id, invitation.id));
      expect((await click(token, 4, PERSON)).status).toBe(200);
      const { rows, evidence } = await state(invitation.id);
      expect(rows[0]).toMatchObject({ state: "recorded", score: 4 });
      expect(evidence.at(-1)).toMatchObject({ verdict: "changed", score: 4 });
    });

    it("shows the survey's follow-up question and the contact's language as they are now", async () => {
      const { survey, invitation, token } = await answeredTwice(1, {
        followUpQuestions: { en: "What went wrong?", de: "Was lief schief?" },
      });
      // Neither change moves the click version.
      await t.ctx.db
        .update(surveys)
        .set({ followUpQuestions: { en: "What should we fix first?", de: "Was zuerst?" } })
        .where(eq(surveys.id, survey.id));
      const asked = await (await click(token, 1, PERSON)).text();
      expect(asked).toContain("What should we fix first?");
      expect(asked).not.toContain("What went wrong?");
      await t.ctx.db
        .update(contacts)
        .set({ locale: "de" })
        .where(eq(contacts.id, invitation.contactId));
      const page = await (await click(token, 1, PERSON)).text();
      expect(page).toContain('lang="de"');
      expect(page).toContain("Was zuerst?");
      expect((await state(invitation.id)).evidence.at(-1)?.reason).toBe("repeat");
    });

    it("reads the scanner signature against a delivery reported since", async () => {
      const { invitation, token } = await answeredTwice(4, {});
      await t.ctx.db
        .update(invitations)
        .set({ deliveredAt: t.clock.now() })
        .where(eq(invitations.id, invitation.id));
      t.clock.advance(1_000);
      expect((await click(token, 4, PERSON)).status).toBe(200);
      expect((await state(invitation.id)).evidence.at(-1)).toMatchObject({
        verdict: "flagged",
        reason: "too-soon-after-delivery",
      });
    });
  });

  it("a comment moves the click version, so a click read before it is decided again", async () => {
    const { invitation, token } = await createInvitation(t.ctx.db, secret);
    await click(token, 3, PERSON);
    const before = await t.ctx.db
      .select({ version: invitations.clickVersion })
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    await postComment({
      ctx: t.ctx,
      input: {
        token,
        score: 3,
        comment: "Thanks",
        evidence: { userAgent: null, acceptLanguage: null, ipHash: null },
      },
    });
    const after = await t.ctx.db
      .select({ version: invitations.clickVersion })
      .from(invitations)
      .where(eq(invitations.id, invitation.id));
    expect(after[0]!.version).toBeGreaterThan(before[0]!.version);
  });
});
