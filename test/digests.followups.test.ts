import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeDigest } from "../src/digests/compose.ts";
import { renderDigestText } from "../src/digests/content.ts";
import { latestSlot, parseSchedule } from "../src/digests/schedule.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createMember,
  createOpenFollowups,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
} from "./support/factories.ts";

let t: TestApp;
const total = 520;
const overdue = 510;

beforeAll(async () => {
  t = await createTestApp({ DIGEST_SCHEDULE: "mon 08:00", DIGEST_TIMEZONE: "UTC" });
  t.clock.set("2026-11-23T08:00:05Z");
}, 120_000);
afterAll(() => t.close());

describe("a weekly digest for a team with many follow-ups", () => {
  it("counts every open and overdue follow-up of the team, past any page size, and lists the oldest", async () => {
    const team = await createTeam(t.ctx.db, {
      key: "busy-desk",
      name: "Busy Desk",
      leadEmail: "lead@msp.example",
    });
    const member = await createMember(t.ctx.db, { teamId: team.id });
    const survey = await createSurvey(t.ctx.db, { scale: "csat3" });
    const client = await createClient(t.ctx.db);
    const workItem = await createWorkItem(t.ctx.db, { clientId: client.id });
    await createTouch(t.ctx.db, { workItemId: workItem.id, memberId: member.id, teamId: team.id });
    const opened = await createOpenFollowups(t.ctx.db, {
      surveyId: survey.id,
      clientId: client.id,
      workItemId: workItem.id,
      now: t.clock.now(),
      total,
      overdue,
    });

    const slot = latestSlot(t.clock.now(), parseSchedule("mon 08:00"), "UTC");
    const content = await composeDigest({
      ctx: t.ctx,
      input: {
        team: { id: team.id, key: team.key, name: team.name },
        week: slot.week,
        from: slot.from,
        to: slot.to,
        previousFrom: slot.previousFrom,
      },
    });
    const text = renderDigestText(content);
    expect(text).toContain(`Follow-ups: ${total} open, ${overdue} overdue`);
    // "oldest" lists the team's oldest open follow-ups: the first is the one opened longest ago.
    expect(content.followups.oldest[0]?.openedAt.toISOString()).toBe(
      opened[total - 1]!.toISOString(),
    );
  }, 120_000);
});
