import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldMetricRollups } from "../src/attribution/positions.ts";
import { queryRows } from "../src/db/client.ts";
import { invitations, responses, touches, workItems } from "../src/db/schema/index.ts";
import { resolvePeriod, segmentsOf } from "../src/metrics/periods.ts";
import type { GroupDim } from "../src/metrics/query.ts";
import {
  type CountRow,
  type CountsInput,
  countScores,
  rollupDimFor,
} from "../src/metrics/score-counts.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createClient,
  createContact,
  createInvitation,
  createMember,
  createResponse,
  createSurvey,
  createTeam,
  createTouch,
  createWorkItem,
} from "./support/factories.ts";

let t: TestApp;
const ids = {
  teams: [] as string[],
  members: [] as string[],
  clients: [] as string[],
  contacts: [] as string[],
  surveys: [] as string[],
};
const items: string[] = [];
const invited: string[] = [];
const answers: string[] = [];
const secret = "r".repeat(32);

beforeAll(async () => {
  t = await createTestApp();
  const db = t.ctx.db;
  for (let i = 0; i < 3; i++) ids.teams.push((await createTeam(db)).id);
  for (let i = 0; i < 4; i++) ids.members.push((await createMember(db)).id);
  for (let i = 0; i < 2; i++) {
    const client = await createClient(db);
    ids.clients.push(client.id);
    ids.contacts.push((await createContact(db, { clientId: client.id })).id);
  }
  ids.surveys.push((await createSurvey(db, { scale: "csat3" })).id);
  ids.surveys.push((await createSurvey(db, { scale: "nps" })).id);
});
afterAll(() => t.close());

// Mostly around the October/November edge, so month, day, hour and sub-hour ranges all occur.
const instant = fc.oneof(
  fc
    .integer({ min: 0, max: 3 * 24 * 60 - 1 })
    .map((m) => new Date(Date.parse("2026-10-30T12:00:00Z") + m * 60_000)),
  fc
    .integer({ min: 0, max: 75 * 24 * 60 - 1 })
    .map((m) => new Date(Date.parse("2026-10-01T00:00:00Z") + m * 60_000)),
);

const op = fc.oneof(
  fc.record({
    kind: fc.constant("item" as const),
    client: fc.nat(1),
    board: fc.constantFrom("A", "B", null),
  }),
  fc.record({
    kind: fc.constant("touch" as const),
    item: fc.nat(),
    member: fc.nat(3),
    team: fc.nat(2),
    minutes: fc.constantFrom(null, 0, 5, 7, 13, 30, 90),
  }),
  // Invitations: some not sent yet, some without a work item.
  fc.record({
    kind: fc.constant("invite" as const),
    item: fc.option(fc.nat(), { freq: 5 }),
    survey: fc.nat(1),
    sentAt: fc.option(instant, { freq: 3 }),
  }),
  // Sending later, or a corrected send time; null takes the invitation out of the counts.
  fc.record({
    kind: fc.constant("send" as const),
    invitation: fc.nat(),
    sentAt: fc.option(instant, { freq: 6 }),
  }),
  {
    // Weighted up: many picks land on an invitation that already has its one response.
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("answer" as const),
      invitation: fc.nat(),
      score: fc.nat(10),
      state: fc.constantFrom("recorded", "recorded", "quarantined", "flagged"),
      at: instant,
    }),
  },
  // Quarantine after recording, recording after quarantine, or a re-click keeping the state.
  fc.record({
    kind: fc.constant("change" as const),
    answer: fc.nat(),
    state: fc.constantFrom("recorded", "quarantined", "flagged"),
    score: fc.nat(10),
  }),
  fc.record({ kind: fc.constant("withdraw" as const), answer: fc.nat() }),
  fc.record({
    kind: fc.constant("board" as const),
    item: fc.nat(),
    board: fc.constantFrom("A", "C", null),
  }),
  fc.record({ kind: fc.constant("untouch" as const), item: fc.nat() }),
  fc.record({ kind: fc.constant("fold" as const) }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

const pick = <T>(list: T[], n: number) => list[n % list.length]!;

async function apply(o: Op) {
  const db = t.ctx.db;
  if (o.kind === "item" || items.length === 0) {
    const client = o.kind === "item" ? o.client : 0;
    const board = o.kind === "item" ? o.board : "A";
    items.push((await createWorkItem(db, { clientId: ids.clients[client]!, board })).id);
    if (o.kind === "item") return;
  }
  if (o.kind === "touch") {
    // Touches arrive at any time, also after the invitation was sent and answered.
    await createTouch(db, {
      workItemId: pick(items, o.item),
      memberId: ids.members[o.member]!,
      teamId: ids.teams[o.team]!,
      minutes: o.minutes,
      at: new Date(Date.parse("2026-10-01T00:00:00Z") + invited.length * 1000 + o.item),
    }).catch(() => undefined); // the same touch twice is refused by its unique index
  } else if (o.kind === "invite") {
    const client = o.item === null ? 1 : 0;
    const made = await createInvitation(db, secret, {
      surveyId: ids.surveys[o.survey]!,
      clientId: ids.clients[client]!,
      contactId: ids.contacts[client]!,
      workItemId: o.item === null ? null : pick(items, o.item),
      sentAt: o.sentAt,
    }).catch(() => undefined); // one invitation per survey and work item
    if (made) invited.push(made.invitation.id);
  } else if (o.kind === "send" && invited.length > 0) {
    await db
      .update(invitations)
      .set({ sentAt: o.sentAt })
      .where(eq(invitations.id, pick(invited, o.invitation)));
  } else if (o.kind === "answer" && invited.length > 0) {
    const [invitation] = await db
      .select()
      .from(invitations)
      .where(eq(invitations.id, pick(invited, o.invitation)));
    const scale = invitation!.surveyId === ids.surveys[0] ? "csat3" : "nps";
    const row = await createResponse(db, {
      invitationId: invitation!.id,
      surveyId: invitation!.surveyId,
      clientId: invitation!.clientId,
      workItemId: invitation!.workItemId,
      scale,
      score: scale === "csat3" ? 1 + (o.score % 3) : o.score,
      state: o.state as "recorded",
      respondedAt: o.at,
    }).catch(() => undefined); // one response per invitation
    if (row) answers.push(row.id);
  } else if (o.kind === "change" && answers.length > 0) {
    const id = pick(answers, o.answer);
    const [row] = await db.select().from(responses).where(eq(responses.id, id));
    if (!row) return;
    await db
      .update(responses)
      .set({
        state: o.state as "recorded",
        score: row.scale === "csat3" ? 1 + (o.score % 3) : o.score,
      })
      .where(eq(responses.id, id));
  } else if (o.kind === "withdraw" && answers.length > 0) {
    const id = pick(answers, o.answer);
    await db.delete(responses).where(eq(responses.id, id));
    answers.splice(answers.indexOf(id), 1);
  } else if (o.kind === "board") {
    await db
      .update(workItems)
      .set({ board: o.board })
      .where(eq(workItems.id, pick(items, o.item)));
  } else if (o.kind === "untouch") {
    const [touch] = await db
      .select()
      .from(touches)
      .where(eq(touches.workItemId, pick(items, o.item)))
      .limit(1);
    if (touch) await db.delete(touches).where(eq(touches.id, touch.id));
  } else if (o.kind === "fold") {
    await foldMetricRollups(t.ctx);
  }
}

// Every shape the rollups serve (one dimension, maybe with the survey), and some they do not.
const shapes: Array<{ groupBy: GroupDim[]; team?: number[]; client?: number }> = [
  { groupBy: [] },
  { groupBy: ["team"] },
  { groupBy: ["member"] },
  { groupBy: ["client"] },
  { groupBy: ["board"] },
  { groupBy: ["escalation"] },
  { groupBy: ["survey"] },
  { groupBy: ["team", "survey"] },
  { groupBy: ["team"], team: [0, 2] },
  { groupBy: [], team: [1] },
  { groupBy: ["survey"], team: [0, 1] },
  { groupBy: ["member"], client: 1 },
];

const window = fc.record({
  tz: fc.constantFrom("UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"),
  from: fc.constantFrom(
    "2026-10-03",
    "2026-10-29",
    "2026-10-30T13:17:00Z",
    "2026-10-31T00:00:00+05:30",
  ),
  to: fc.constantFrom("2026-11-03", "2026-12-14T10:45:00Z", "2026-12-31"),
  interval: fc.constantFrom(
    undefined,
    "day" as const,
    "week" as const,
    "month" as const,
    "quarter" as const,
  ),
});

/** Decimal text without trailing zeros, so 1.50 and 1.5 compare equal (and exactly). */
const decimal = (text: string) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);
const canonical = (rows: CountRow[]) =>
  rows.map((r) => JSON.stringify([r.bucket, r.keys, r.surveyId, r.score, decimal(r.count)])).sort();

const pendingDeltas = async () =>
  (
    await queryRows<{ n: number }>(
      t.ctx.db,
      sql`select count(*)::int as n from invitation_rollup_deltas`,
    )
  )[0]!.n;

describe("response-rate rollups answer exactly what a recomputation from the raw rows answers", () => {
  it("for random sends, answers, quarantines and late touches, both credit modes, any zone", async () => {
    for (const o of fc.sample(op, { numRuns: 300, seed: 11 })) await apply(o);
    let served = 0;
    let answered = 0;
    let unanswered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 30, size: "max" }),
        window,
        async (ops, w) => {
          for (const o of ops) await apply(o);
          const period = await resolvePeriod(t.ctx.db, w);
          for (const shape of shapes) {
            for (const credit of ["shared", "weighted"] as const) {
              const input: CountsInput = {
                source: "invitations",
                segments: segmentsOf(period.buckets),
                groupBy: shape.groupBy,
                filters: {
                  ...(shape.team ? { team: shape.team.map((i) => ids.teams[i]!) } : {}),
                  ...(shape.client !== undefined ? { client: [ids.clients[shape.client]!] } : {}),
                },
                credit,
                strategy: "auto",
              };
              const fast = await countScores(t.ctx.db, input);
              const raw = await countScores(t.ctx.db, { ...input, strategy: "raw", lines: "live" });
              expect(canonical(fast), JSON.stringify({ shape, credit, w })).toEqual(canonical(raw));
              if (rollupDimFor(input)) served += 1;
              answered += fast.filter((r) => r.score === 1).length;
              unanswered += fast.filter((r) => r.score === 0).length;
            }
          }
        },
      ),
      { numRuns: 15, seed: 2718 },
    );
    // The property must have run through the rollups on answered and unanswered invitations.
    expect(served).toBeGreaterThan(300);
    expect(answered).toBeGreaterThan(300);
    expect(unanswered).toBeGreaterThan(300);
  });

  it("a rebuild from scratch gives the same rollups as the triggers kept", async () => {
    await foldMetricRollups(t.ctx);
    expect(await pendingDeltas()).toBe(0);
    const snapshot = async () =>
      (
        await queryRows<Record<string, unknown>>(
          t.ctx.db,
          sql`select dim, grain, bucket, dim_key, survey_id, score, shared, weighted::text as weighted
            from invitation_rollups where shared <> 0 or weighted <> 0`,
        )
      )
        .map((r) =>
          JSON.stringify({
            ...r,
            bucket: new Date(r.bucket as string).toISOString(),
            weighted: decimal(String(r.weighted)),
          }),
        )
        .sort();
    const kept = await snapshot();
    expect(kept.length).toBeGreaterThan(0);
    await queryRows(t.ctx.db, sql`select rapport_rollup_rebuild()`);
    expect(await snapshot()).toEqual(kept);
  });

  it("a re-click that keeps the state, or a delivery status update, writes no rollup change", async () => {
    const db = t.ctx.db;
    const item = await createWorkItem(db, { clientId: ids.clients[0]! });
    const { invitation } = await createInvitation(db, secret, {
      surveyId: ids.surveys[0]!,
      clientId: ids.clients[0]!,
      contactId: ids.contacts[0]!,
      workItemId: item.id,
    });
    const answer = await createResponse(db, {
      invitationId: invitation.id,
      surveyId: ids.surveys[0]!,
      clientId: ids.clients[0]!,
      workItemId: item.id,
      scale: "csat3",
      score: 2,
    });
    const before = await pendingDeltas();
    await db.update(responses).set({ score: 3 }).where(eq(responses.id, answer.id));
    await db
      .update(invitations)
      .set({ deliveredAt: new Date(), openedAt: new Date() })
      .where(eq(invitations.id, invitation.id));
    expect(await pendingDeltas()).toBe(before);
    // Quarantining it does move the invitation to unanswered.
    await db.update(responses).set({ state: "quarantined" }).where(eq(responses.id, answer.id));
    expect(await pendingDeltas()).toBeGreaterThan(before);
  });
});
