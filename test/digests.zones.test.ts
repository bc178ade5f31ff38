import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxEmails } from "../src/db/schema/index.ts";
import { digestJob } from "../src/digests/job.ts";
import { latestSlot, parseSchedule } from "../src/digests/schedule.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createMember,
  createResponse,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
} from "./support/factories.ts";

async function answered(app: TestApp, teamId: string, score: number, at: string) {
  const db = app.ctx.db;
  const client = await createClient(db);
  const member = await createMember(db, { teamId });
  const survey = await createSurvey(db, { scale: "csat3" });
  const workItem = await createWorkItem(db, { clientId: client.id });
  await createTouch(db, { workItemId: workItem.id, memberId: member.id, teamId });
  await createResponse(db, {
    surveyId: survey.id,
    clientId: client.id,
    workItemId: workItem.id,
    scale: "csat3",
    score,
    respondedAt: new Date(at),
  });
}

describe("the digest's week before, across a clock change", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ DIGEST_SCHEDULE: "mon 08:00", DIGEST_TIMEZONE: "Europe/Berlin" });
  });
  afterAll(() => t.close());

  it("is the seven local days before the reported week, not 7 x 24 hours", async () => {
    // Summer time starts on Sunday 29 March 2026. The digest of Monday 6 April reports on
    // Mon 30 Mar - Sun 5 Apr against Mon 23 Mar 00:00 CET (22 Mar 23:00Z) - Mon 30 Mar.
    const slot = latestSlot(
      new Date("2026-04-06T06:00:01Z"),
      parseSchedule("mon 08:00"),
      "Europe/Berlin",
    );
    expect(slot.previousFrom.toISOString()).toBe("2026-03-22T23:00:00.000Z");

    const team = await createTeam(t.ctx.db, { key: "dst-desk", leadEmail: "lead@msp.example" });
    await answered(t, team.id, 3, "2026-04-01T10:00:00Z");
    // Sunday 22 March, 23:30 in Berlin: two weeks back, in neither week.
    await answered(t, team.id, 1, "2026-03-22T22:30:00Z");
    t.clock.set("2026-04-06T06:00:05Z");
    await digestJob.runOnce(t.ctx);
    const [email] = await t.ctx.db.select().from(outboxEmails);
    expect(email!.text).toContain("CSAT: 100% (n=1), no comparison");
  });
});

describe("the digest's goals for a week that ends a month", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ DIGEST_SCHEDULE: "mon 08:00", DIGEST_TIMEZONE: "America/New_York" });
  });
  afterAll(() => t.close());

  it("are the goals of the month the week ends in, in the digest's zone", async () => {
    await createTeam(t.ctx.db, { key: "ny-desk", leadEmail: "lead@msp.example" });
    const goal = await t.request("/v1/goals", {
      key: await t.key("admin"),
      json: {
        team: "ny-desk",
        metric: "csat",
        target: 80,
        periodKind: "month",
        minN: 1,
        timezone: "America/New_York",
      },
    });
    expect(goal.status).toBe(201);
    // Monday 1 June 2026, 08:00 in New York: the digest reports on Mon 25 - Sun 31 May, whose
    // end is already 1 June in UTC.
    t.clock.set("2026-06-01T12:00:05Z");
    await digestJob.runOnce(t.ctx);
    const [email] = await t.ctx.db.select().from(outboxEmails);
    expect(email!.text).toContain("week of Mon 25 May to Sun 31 May");
    expect(email!.text).toContain("CSAT 2026-05:");
    expect(email!.text).not.toContain("CSAT 2026-06:");
  });
});
