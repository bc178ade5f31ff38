import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldMetricRollups } from "../src/attribution/positions.ts";
import { responses, touches } from "../src/db/schema/index.ts";
import { resolvePeriod, segmentsOf } from "../src/metrics/periods.ts";
import type { GroupDim } from "../src/metrics/query.ts";
import { type CountsInput, countScores } from "../src/metrics/score-counts.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createMember,
  createSurvey,
  createTeam,
  createWorkItem,
} from "./support/factories.ts";
import { prng } from "./support/metrics-oracle.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("credit stays exact whoever writes, at the same time", () => {
  it("concurrent touches, responses and score changes on shared work items", async () => {
    const db = t.ctx.db;
    const rand = prng(99);
    const client = await createClient(db);
    const survey = await createSurvey(db, { scale: "csat5" });
    const teams = [await createTeam(db), await createTeam(db), await createTeam(db)];
    const members = [await createMember(db), await createMember(db), await createMember(db)];
    const items: Array<{ id: string }> = [];
    for (let i = 0; i < 4; i++) items.push(await createWorkItem(db, { clientId: client.id }));
    // Many writers at once, each one transaction about one work item (as intake and clicks are).
    const writers = Array.from({ length: 60 }, (_, i) => {
      const item = items[rand.int(0, items.length - 1)]!;
      const member = rand.int(0, 2);
      const team = rand.int(0, 2);
      const minutes = rand.pick([null, 10, 25]);
      const kind = rand.pick(["touch", "response", "change"] as const);
      return () =>
        db.transaction(async (tx) => {
          if (kind === "touch") {
            await tx
              .insert(touches)
              .values({
                workItemId: item.id,
                memberId: members[member]!.id,
                teamId: teams[team]!.id,
                at: new Date(Date.UTC(2026, 10, 1, 0, i)),
                minutes,
              })
              .onConflictDoNothing();
          } else if (kind === "response") {
            await tx.insert(responses).values({
              surveyId: survey.id,
              clientId: client.id,
              workItemId: item.id,
              scale: "csat5",
              score: 1 + (i % 5),
              respondedAt: new Date(Date.UTC(2026, 10, 2, i % 24, 30)),
              finalAt: new Date(Date.UTC(2026, 10, 3)),
            });
          } else {
            const [row] = await tx
              .select()
              .from(responses)
              .where(eq(responses.workItemId, item.id))
              .limit(1);
            if (row)
              await tx
                .update(responses)
                .set({ score: 1 + ((row.score + 2) % 5) })
                .where(eq(responses.id, row.id));
          }
        });
    });
    await Promise.all(writers.map((write) => write()));
    await foldMetricRollups(t.ctx);
    const period = await resolvePeriod(db, {
      from: "2026-11-01",
      to: "2026-11-05",
      tz: "Europe/Berlin",
      interval: "day",
    });
    for (const groupBy of [["team"], ["member"], [], ["escalation"]] as GroupDim[][]) {
      for (const credit of ["shared", "weighted"] as const) {
        const input: CountsInput = {
          source: "responses",
          segments: segmentsOf(period.buckets),
          groupBy,
          filters: {},
          credit,
          strategy: "auto",
        };
        const norm = (rows: Awaited<ReturnType<typeof countScores>>) =>
          rows
            .map(
              (r) =>
                `${r.bucket}|${JSON.stringify(r.keys)}|${r.score}|${r.count.includes(".") ? r.count.replace(/\.?0+$/, "") : r.count}`,
            )
            .sort();
        const fast = norm(await countScores(db, input));
        expect(fast.length).toBeGreaterThan(0);
        expect(fast).toEqual(
          norm(await countScores(db, { ...input, strategy: "raw", lines: "live" })),
        );
      }
    }
  });
});
