import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldMetricRollups } from "../src/attribution/positions.ts";
import { queryRows } from "../src/db/client.ts";
import { invitations, responses } from "../src/db/schema/index.ts";
import { resolvePeriod, segmentsOf } from "../src/metrics/periods.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import {
  createContact,
  createInvitation,
  createResponse,
  createWorkItem,
} from "./support/factories.ts";
import {
  applyWorkOp,
  ensureItem,
  expectRollupsAgree,
  instant,
  periodWindow,
  pick,
  type RollupDirectory,
  rollupDirectory,
  rollupSnapshot,
  type WorkState,
  workOps,
} from "./support/rollup-model.ts";

let t: TestApp;
let ids: RollupDirectory;
/** One contact per client of the directory. */
const contacts: string[] = [];
const work: WorkState = { items: [], writes: 0 };
const invited: string[] = [];
const answers: string[] = [];
const secret = "r".repeat(32);

beforeAll(async () => {
  t = await createTestApp();
  ids = await rollupDirectory(t.ctx.db);
  for (const clientId of ids.clients) {
    contacts.push((await createContact(t.ctx.db, { clientId })).id);
  }
});
afterAll(() => t.close());

const op = fc.oneof(
  ...workOps,
  // Invitations: some not sent yet, some without a work item.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("invite" as const),
      item: fc.option(fc.nat(), { freq: 5 }),
      survey: fc.nat(1),
      sentAt: fc.option(instant, { freq: 3 }),
    }),
  },
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
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(o: Op) {
  const db = t.ctx.db;
  await ensureItem(db, ids, work, o);
  if (o.kind === "item") return;
  if (o.kind === "invite") {
    const client = o.item === null ? 1 : 0;
    const made = await createInvitation(db, secret, {
      surveyId: ids.surveys[o.survey]!,
      clientId: ids.clients[client]!,
      contactId: contacts[client]!,
      workItemId: o.item === null ? null : pick(work.items, o.item),
      sentAt: o.sentAt,
    }).catch(() => undefined); // one invitation per survey and work item
    if (made) invited.push(made.invitation.id);
    work.writes += 1;
  } else if (o.kind === "send") {
    if (invited.length === 0) return;
    await db
      .update(invitations)
      .set({ sentAt: o.sentAt })
      .where(eq(invitations.id, pick(invited, o.invitation)));
  } else if (o.kind === "answer") {
    if (invited.length === 0) return;
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
  } else if (o.kind === "change") {
    if (answers.length === 0) return;
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
  } else if (o.kind === "withdraw") {
    if (answers.length === 0) return;
    const id = pick(answers, o.answer);
    await db.delete(responses).where(eq(responses.id, id));
    answers.splice(answers.indexOf(id), 1);
  } else {
    await applyWorkOp(t.ctx, ids, work, o);
  }
}

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
        periodWindow,
        async (ops, w) => {
          for (const o of ops) await apply(o);
          const period = await resolvePeriod(t.ctx.db, w);
          const segments = segmentsOf(period.buckets);
          for (const answer of await expectRollupsAgree(
            t.ctx.db,
            ids,
            "invitations",
            segments,
            w,
          )) {
            if (answer.served) served += 1;
            answered += answer.rows.filter((r) => r.score === 1).length;
            unanswered += answer.rows.filter((r) => r.score === 0).length;
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
    const snapshot = () => rollupSnapshot(t.ctx.db, "invitation_rollups");
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
      contactId: contacts[0]!,
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
