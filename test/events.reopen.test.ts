import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workItems } from "../src/db/schema/index.ts";
import { createTestApp, type TestApp } from "./support/app.ts";
import { invitationState, sendAllDue } from "./support/invitation-state.ts";
import { withRowLocked } from "./support/row-lock.ts";

const MINUTE = 60_000;

let t: TestApp;
let events: string;
beforeAll(async () => {
  t = await createTestApp();
  t.clock.set("2026-11-18T16:00:00Z");
  events = await t.key("events:write");
  const surveys = await t.key("surveys:write");
  // Sent two hours after the close, on a board of its own.
  const put = await t.request("/v1/surveys/reopen-csat", {
    method: "PUT",
    key: surveys,
    json: {
      scale: "csat3",
      trigger: "ticket.closed",
      questions: { en: "How did we do?" },
      delayMinutes: 120,
      throttleDays: 0,
      boards: ["Reopen board"],
    },
  });
  expect(put.status).toBeLessThan(300);
});
afterAll(() => t.close());

let tickets = 0;
function ticket() {
  tickets += 1;
  const externalId = `RO-${tickets}`;
  const base = {
    workItem: { externalId, kind: "ticket", summary: "Mail down", board: "Reopen board" },
    client: { externalId: "ro-client", name: "RO Client" },
    contact: { externalId: `ro-contact-${tickets}`, email: `ro${tickets}@client.example` },
    touches: [
      {
        member: { externalId: "ro-tech", name: "Tech" },
        team: "help-desk",
        at: "2026-11-18T15:00:00Z",
      },
    ],
  };
  let n = 0;
  const send = async (
    type: "ticket.closed" | "ticket.reopened",
    options: { occurredAt?: string; board?: string },
  ) => {
    n += 1;
    const occurredAt = options.occurredAt ?? t.clock.now().toISOString();
    const response = await t.request("/v1/events", {
      key: events,
      json: {
        ...base,
        id: `${externalId}-${n}`,
        type,
        occurredAt,
        workItem: {
          ...base.workItem,
          board: options.board ?? base.workItem.board,
          ...(type === "ticket.closed" ? { closedAt: occurredAt } : {}),
        },
      },
    });
    expect(response.status).toBe(202);
    return (await response.json()).invitation;
  };
  return {
    externalId,
    close: (options: { occurredAt?: string; board?: string } = {}) =>
      send("ticket.closed", options),
    reopen: (options: { occurredAt?: string } = {}) => send("ticket.reopened", options),
  };
}

const runWorker = () => sendAllDue(t.ctx);
const stateOf = (id: string) => invitationState(t.ctx, id);

describe("a ticket reopened before its survey went out", () => {
  it("sends nothing while it is open again, then surveys the close that follows", async () => {
    const item = ticket();
    const first = await item.close();
    expect(first).toMatchObject({ status: "scheduled", surveyKey: "reopen-csat" });
    t.clock.advance(60 * MINUTE);
    expect(await item.reopen()).toBeNull();

    // Past the first send time: the ticket is open, nothing goes out.
    t.clock.advance(3 * 60 * MINUTE);
    await runWorker();
    expect(await stateOf(first.id)).toMatchObject({ status: "scheduled", emails: [] });

    // Closed again: the same invitation, due two hours after this close.
    const closedAgainAt = t.clock.now().getTime();
    const again = await item.close();
    expect(again).toEqual({
      status: "scheduled",
      id: first.id,
      surveyKey: "reopen-csat",
      sendAt: new Date(closedAgainAt + 120 * MINUTE).toISOString(),
    });
    t.clock.advance(60 * MINUTE);
    await runWorker();
    expect((await stateOf(first.id)).emails).toEqual([]);
    t.clock.advance(61 * MINUTE);
    await runWorker();
    const sent = await stateOf(first.id);
    expect(sent.status).toBe("sent");
    expect(sent.emails).toHaveLength(1);
    expect(sent.types).toEqual(expect.arrayContaining(["scheduled", "held", "rescheduled"]));
  });

  it("two reopens hold it once, and a close without a reopen before it moves nothing", async () => {
    const item = ticket();
    const first = await item.close();
    const dueAt = (await stateOf(first.id)).sendAt;
    // The PSA reports the close again (a note added to the closed ticket): no new send time.
    t.clock.advance(10 * MINUTE);
    expect(await item.close()).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    expect((await stateOf(first.id)).sendAt).toEqual(dueAt);

    t.clock.advance(10 * MINUTE);
    await item.reopen();
    await item.reopen();
    const held = await stateOf(first.id);
    expect(held.types.filter((type) => type === "held")).toHaveLength(1);
    t.clock.advance(10 * MINUTE);
    expect(await item.close()).toMatchObject({ status: "scheduled", id: first.id });
    t.clock.advance(10 * MINUTE);
    expect(await item.close()).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    expect((await stateOf(first.id)).types.filter((type) => type === "rescheduled")).toHaveLength(
      1,
    );
  });

  it("a close delivered late, older than the reopen, leaves the hold to the real close", async () => {
    const item = ticket();
    const first = await item.close();
    t.clock.advance(30 * MINUTE);
    const reopenedAt = t.clock.now().getTime();
    await item.reopen();
    // A retried webhook: a close from before the reopen. The ticket stays reopened.
    t.clock.advance(10 * MINUTE);
    expect(
      await item.close({ occurredAt: new Date(reopenedAt - 5 * MINUTE).toISOString() }),
    ).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    t.clock.advance(24 * 60 * MINUTE);
    await runWorker();
    expect((await stateOf(first.id)).emails).toEqual([]);
    // Worked on for a day, then really closed.
    const closedAgainAt = t.clock.now().getTime();
    expect(await item.close()).toMatchObject({ status: "scheduled", id: first.id });
    await runWorker();
    const state = await stateOf(first.id);
    expect(state.emails).toEqual([]);
    expect(state.sendAt.getTime()).toBe(closedAgainAt + 120 * MINUTE);
  });

  it("a reopen delivered before its close holds the survey that close schedules", async () => {
    const item = ticket();
    // The PSA closed at 16:00 and reopened at 16:30; the reopen reaches rapport first.
    const closedAt = t.clock.now().getTime();
    t.clock.advance(31 * MINUTE);
    expect(await item.reopen({ occurredAt: new Date(closedAt + 30 * MINUTE).toISOString() })).toBe(
      null,
    );
    t.clock.advance(MINUTE);
    const late = await item.close({ occurredAt: new Date(closedAt).toISOString() });
    expect(late).toMatchObject({ status: "scheduled", surveyKey: "reopen-csat" });
    // Past that close's send time: the ticket is open, nothing goes out.
    t.clock.advance(3 * 60 * MINUTE);
    await runWorker();
    expect(await stateOf(late.id)).toMatchObject({ status: "scheduled", emails: [] });
    // Really closed: the same invitation, two hours after this close.
    const closedAgainAt = t.clock.now().getTime();
    expect(await item.close()).toEqual({
      status: "scheduled",
      id: late.id,
      surveyKey: "reopen-csat",
      sendAt: new Date(closedAgainAt + 120 * MINUTE).toISOString(),
    });
    t.clock.advance(121 * MINUTE);
    await runWorker();
    const sent = await stateOf(late.id);
    expect(sent.emails).toHaveLength(1);
    expect(sent.types).toEqual(expect.arrayContaining(["scheduled", "held", "rescheduled"]));
  });

  it("a close on a board no survey takes still sends the held survey delayMinutes after it", async () => {
    const item = ticket();
    const first = await item.close();
    expect(first).toMatchObject({ status: "scheduled", surveyKey: "reopen-csat" });
    t.clock.advance(30 * MINUTE);
    await item.reopen();
    t.clock.advance(24 * 60 * MINUTE);
    const closedAgainAt = t.clock.now().getTime();
    expect(await item.close({ board: "Unsurveyed board" })).toEqual({
      status: "scheduled",
      id: first.id,
      surveyKey: "reopen-csat",
      sendAt: new Date(closedAgainAt + 120 * MINUTE).toISOString(),
    });
    await runWorker();
    expect((await stateOf(first.id)).emails).toEqual([]);
    t.clock.advance(121 * MINUTE);
    await runWorker();
    expect((await stateOf(first.id)).emails).toHaveLength(1);
  });

  it("a survey already sent stays sent: a reopen and a new close send no second one", async () => {
    const item = ticket();
    const first = await item.close();
    t.clock.advance(121 * MINUTE);
    await runWorker();
    expect((await stateOf(first.id)).status).toBe("sent");
    await item.reopen();
    t.clock.advance(10 * MINUTE);
    expect(await item.close()).toMatchObject({ status: "skipped", reason: "already_surveyed" });
    t.clock.advance(3 * 60 * MINUTE);
    await runWorker();
    const after = await stateOf(first.id);
    expect(after.emails).toHaveLength(1);
    expect(after.types).not.toContain("held");
  });
});

describe("a reopen and the close that ends it, recorded at the same time (PostgreSQL)", () => {
  it("the close releases the held survey as if the two had come one after the other", async (context) => {
    const url = (t.services.database as { url?: string }).url;
    if (!url) return context.skip();
    t.clock.set("2026-11-18T16:00:00Z");
    const item = ticket();
    const first = await item.close();
    expect(first).toMatchObject({ status: "scheduled" });
    const [row] = await t.ctx.db
      .select({ id: workItems.id })
      .from(workItems)
      .where(eq(workItems.externalId, item.externalId));
    // Both deliveries reach rapport while the work item's row is busy (held here): the close
    // waits behind the reopen, and its statement's snapshot predates the reopen's hold.
    t.clock.set("2026-11-18T16:45:00Z");
    const [, closed] = await withRowLocked(
      url,
      (locker) => locker`select id from work_items where id = ${row!.id} for update`,
      [
        { start: () => item.reopen({ occurredAt: "2026-11-18T16:30:00Z" }), waiters: 1 },
        { start: () => item.close({ occurredAt: "2026-11-18T16:40:00Z" }), waiters: 2 },
      ],
    );
    expect(closed).toEqual({
      status: "scheduled",
      id: first.id,
      surveyKey: "reopen-csat",
      sendAt: "2026-11-18T18:45:00.000Z",
    });
    // At the first close's send time the ticket has been closed again for only 80 minutes.
    t.clock.set("2026-11-18T18:05:00Z");
    await runWorker();
    const state = await stateOf(first.id);
    expect(state.emails).toEqual([]);
    expect(state.types.filter((type) => type === "rescheduled")).toHaveLength(1);
  });
});

describe("a ticket closed again after its contact opted out", () => {
  it("answers why no survey goes out, as a first close would, and cancels the held one", async () => {
    const item = ticket();
    const first = await item.close();
    expect(first).toMatchObject({ status: "scheduled" });
    t.clock.advance(10 * MINUTE);
    await item.reopen();
    const directory = await t.key("directory:write");
    const optOut = await t.request(`/v1/contacts/ro-contact-${tickets}`, {
      method: "PUT",
      key: directory,
      json: { optedOut: true },
    });
    expect(optOut.status).toBe(200);
    t.clock.advance(10 * MINUTE);
    expect(await item.close()).toEqual({
      status: "skipped",
      reason: "opted_out",
      surveyKey: "reopen-csat",
    });
    expect(await stateOf(first.id)).toMatchObject({ status: "cancelled", emails: [] });
  });
});
