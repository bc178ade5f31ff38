import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digests, outboxEmails } from "../src/db/schema/index.ts";
import { sendDueInvitations } from "../src/delivery/jobs.ts";
import { digestJob } from "../src/digests/job.ts";
import { latestSlot, parseSchedule } from "../src/digests/schedule.ts";
import { csatMetric } from "../src/metrics/figures.ts";
import { appSecret } from "../src/security/app-secret.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createInvitation,
  createMember,
  createResponse,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
  recordResponseChange,
} from "./support/factories.ts";
import { FakeResend } from "./support/fake-resend.ts";

let t: TestApp;
let team: Awaited<ReturnType<typeof createTeam>>;

/** An answered ticket touched by the team, recorded as production records it. */
async function answered(score: number, at: string, comment: string | null = null) {
  const client = await createClient(t.ctx.db);
  const member = await createMember(t.ctx.db, { teamId: team.id });
  const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
  const workItem = await createWorkItem(t.ctx.db, { clientId: client.id });
  await createTouch(t.ctx.db, { workItemId: workItem.id, memberId: member.id, teamId: team.id });
  return recordResponseChange(t.ctx, {
    surveyId: survey.id,
    clientId: client.id,
    workItemId: workItem.id,
    scale: "csat3",
    score,
    comment,
    respondedAt: new Date(at),
  });
}

beforeAll(async () => {
  t = await createTestApp({ DIGEST_SCHEDULE: "mon 08:00", DIGEST_TIMEZONE: "Europe/Berlin" });
  team = await createTeam(t.ctx.db, {
    key: "help-desk",
    name: "Help <Desk>",
    leadEmail: "lead@msp.example",
  });
  await createTeam(t.ctx.db, { key: "no-lead" });
  // The reported week (Berlin): Mon 16 Nov 00:00 to Mon 23 Nov 00:00.
  t.clock.set("2026-11-18T12:00:00Z");
  await answered(3, "2026-11-17T10:00:00Z", "Quick and friendly, thanks!");
  await answered(3, "2026-11-18T10:00:00Z", `Great <b>work</b> & "fast"`);
  await answered(3, "2026-11-19T10:00:00Z");
  await answered(1, "2026-11-20T10:00:00Z", "Still broken");
  await answered(2, "2026-11-21T10:00:00Z", "Meh, slow");
  // The week before: all happy, so the trend is down.
  await answered(3, "2026-11-10T10:00:00Z");
  await answered(3, "2026-11-11T10:00:00Z");
  const admin = await t.key("admin");
  await t.request("/v1/goals", {
    key: admin,
    json: { team: "help-desk", metric: "csat", target: 90, periodKind: "month", minN: 3 },
  });
  // A response outside the team's work never shows.
  const other = await createTeam(t.ctx.db, { key: "projects" });
  const client = await createClient(t.ctx.db);
  const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
  const workItem = await createWorkItem(t.ctx.db, { clientId: client.id });
  const member = await createMember(t.ctx.db, { teamId: other.id });
  await createTouch(t.ctx.db, { workItemId: workItem.id, memberId: member.id, teamId: other.id });
  await createResponse(t.ctx.db, {
    surveyId: survey.id,
    clientId: client.id,
    workItemId: workItem.id,
    scale: "csat3",
    score: 3,
    comment: "Projects team comment",
    respondedAt: new Date("2026-11-18T10:00:00Z"),
  });
});
afterAll(() => t.close());

describe("weekly digest", () => {
  it("the schedule names the week and the local days it reports on", () => {
    const slot = latestSlot(
      new Date("2026-11-23T07:00:01Z"),
      parseSchedule("mon 08:00"),
      "Europe/Berlin",
    );
    expect(slot.week).toBe("2026-W48");
    expect(slot.sendAt.toISOString()).toBe("2026-11-23T07:00:00.000Z");
    expect(slot.from.toISOString()).toBe("2026-11-15T23:00:00.000Z");
    expect(slot.to.toISOString()).toBe("2026-11-22T23:00:00.000Z");
    const before = latestSlot(
      new Date("2026-11-23T06:59:59Z"),
      parseSchedule("mon 08:00"),
      "Europe/Berlin",
    );
    expect(before.week).toBe("2026-W47");
  });

  it("two workers at once send exactly one digest per team with a lead, into the local outbox", async () => {
    t.clock.set("2026-11-23T07:00:05Z");
    await Promise.all([digestJob.runOnce(t.ctx), digestJob.runOnce({ ...t.ctx })]);
    await digestJob.runOnce(t.ctx);
    const rows = await t.ctx.db.select().from(digests);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ teamId: team.id, week: "2026-W48", status: "sent" });
    const emails = await t.ctx.db.select().from(outboxEmails);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.to).toBe("lead@msp.example");
    expect(emails[0]!.idempotencyKey).toBe(`digest/${rows[0]!.id}`);
  });

  it("says the week's CSAT with its trend, goal status, follow-ups and the best comments, escaped", async () => {
    const [email] = await t.ctx.db.select().from(outboxEmails);
    const metric = await csatMetric({
      ctx: t.ctx,
      input: {
        from: "2026-11-15T23:00:00.000Z",
        to: "2026-11-22T23:00:00.000Z",
        groupBy: [],
        interval: undefined,
        tz: "UTC",
        filters: { team: ["help-desk"] },
        credit: "shared",
        minSample: 30,
      },
    });
    expect(metric.overall.value).toBe(60);
    expect(email!.subject).toContain("Help <Desk> weekly digest 2026-W48");
    expect(email!.text).toContain("CSAT: 60% (n=5), -40 vs the week before");
    expect(email!.text).toContain("CSAT 2026-11:");
    expect(email!.text).toContain("of target 90%");
    expect(email!.text).toContain("not met");
    expect(email!.text).toContain("Follow-ups: 1 open, 1 overdue");
    expect(email!.text).toContain("OVERDUE score 1 (csat3): Still broken");
    expect(email!.text).toContain("Still broken");
    expect(email!.text).toContain("Quick and friendly, thanks!");
    expect(email!.text).not.toContain("Projects team comment");
    expect(email!.text).not.toContain('Meh, slow" (');
    expect(email!.text).toContain("http://rapport.test/dashboard/teams/help-desk");
    expect(email!.html).toContain("Help &lt;Desk&gt;");
    expect(email!.html).toContain("Great &lt;b&gt;work&lt;/b&gt;");
    expect(email!.html).not.toContain("<b>work</b>");
  });

  it("the next week brings the next digest, and nothing more in between", async () => {
    t.clock.set("2026-11-27T10:00:00Z");
    await digestJob.runOnce(t.ctx);
    expect(await t.ctx.db.select().from(outboxEmails)).toHaveLength(1);
    t.clock.set("2026-11-30T07:30:00Z");
    await digestJob.runOnce(t.ctx);
    const rows = await t.ctx.db.select().from(digests).where(eq(digests.teamId, team.id));
    expect(rows.map((row) => row.week).sort()).toEqual(["2026-W48", "2026-W49"]);
    expect(await t.ctx.db.select().from(outboxEmails)).toHaveLength(2);
  });
});

describe("weekly digest through Resend while Resend asks to wait", () => {
  let r: TestApp;
  let fake: FakeResend;
  beforeAll(async () => {
    fake = await new FakeResend().start();
    r = await createTestApp({
      RESEND_API_KEY: "re_test_key",
      RESEND_BASE_URL: fake.url,
      DIGEST_SCHEDULE: "mon 08:00",
      DIGEST_TIMEZONE: "UTC",
    });
  });
  afterAll(async () => {
    await r.close();
    await fake.stop();
  });

  it("waits for its next turn instead of holding up the worker and the server", async () => {
    await createTeam(r.ctx.db, { key: "help-desk", leadEmail: "lead@msp.example" });
    const survey = await createSurvey(r.ctx.db);
    await createInvitation(r.ctx.db, await appSecret(r.ctx), {
      status: "scheduled",
      sentAt: null,
      surveyId: survey.id,
      nextAttemptAt: r.clock.now(),
    });
    // Resend answers the survey batch 429 with Retry-After: 6 (seconds).
    fake.startOutage(1, 6);
    await sendDueInvitations.runOnce(r.ctx);
    expect(fake.requests.at(-1)?.status).toBe(429);

    r.clock.set("2026-11-23T08:00:05Z");
    const requests = fake.requests.length;
    // Had the job waited out the six seconds, it would have sent the digest after them.
    expect(await digestJob.runOnce(r.ctx)).toBe(0);
    expect(fake.requests.length).toBe(requests);
    expect((await r.request("/readyz")).status).toBe(200);
    const [row] = await r.ctx.db.select().from(digests);
    expect(row?.status).toBe("pending");
    expect(row?.attempts).toBe(0);
  }, 20_000);
});

describe("weekly digest through Resend, slow or rate-limited", () => {
  let r: TestApp;
  let fake: FakeResend;
  beforeAll(async () => {
    fake = await new FakeResend().start();
    r = await createTestApp({
      RESEND_API_KEY: "re_test_key",
      RESEND_BASE_URL: fake.url,
      RESEND_REQUESTS_PER_SECOND: "200",
      DIGEST_SCHEDULE: "mon 08:00",
      DIGEST_TIMEZONE: "UTC",
    });
    await createTeam(r.ctx.db, { key: "slow-desk", leadEmail: "lead@msp.example" });
  });
  afterAll(async () => {
    await r.close();
    await fake.stop();
  });

  const digestRows = () => r.ctx.db.select().from(digests);

  it("holds no transaction open while Resend answers", async () => {
    r.clock.set("2026-11-23T08:00:05Z");
    fake.setAnswerDelay(1200);
    const run = digestJob.runOnce(r.ctx);
    while (fake.unanswered() === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // The embedded database runs one transaction at a time: this waits for any open one.
    const [during] = await digestRows();
    expect(fake.unanswered(), "the read waited for Resend's answer").toBe(1);
    expect(during?.status).toBe("pending");
    await run;
    fake.setAnswerDelay(0);
    const [after] = await digestRows();
    expect([after?.status, after?.attempts]).toEqual(["sent", 1]);
    expect(fake.answered()).toBe(1);
  }, 20_000);

  it("counts no attempt for a rate limit: the digest waits and goes out", async () => {
    r.clock.set("2026-11-30T08:00:05Z");
    fake.script("rate-limit", "rate-limit", "rate-limit");
    for (let round = 0; round < 3; round++) {
      await digestJob.runOnce(r.ctx);
      const [row] = await r.ctx.db.select().from(digests).where(eq(digests.week, "2026-W49"));
      expect([row?.status, row?.attempts]).toEqual(["pending", 0]);
      r.clock.set(new Date(row!.nextAttemptAt.getTime() + 1000));
    }
    // The transport keeps Resend's Retry-After itself: the job waits it out before claiming.
    await digestJob.runOnce(r.ctx);
    const [row] = await r.ctx.db.select().from(digests).where(eq(digests.week, "2026-W49"));
    expect([row?.status, row?.attempts]).toEqual(["sent", 1]);
    expect(fake.requests.filter((request) => request.status === 429)).toHaveLength(3);
  }, 30_000);
});
