import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followupNotes, followups } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { recordAnswer } from "./support/factories.ts";

let t: TestApp;
let writer: string;
beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("surveys:write");
});
afterAll(() => t.close());

async function openCase() {
  const { response } = await recordAnswer(t.ctx, { scale: "csat5", score: 1 });
  const [row] = await t.ctx.db
    .select()
    .from(followups)
    .where(eq(followups.responseId, response.id));
  return row!;
}

function patch(id: string, json: unknown, key = writer) {
  return t.request(`/v1/followups/${id}`, { key, method: "PATCH", json });
}

describe("handling a follow-up", () => {
  it("assign, acknowledge, then resolve with a note, each step recorded", async () => {
    const opened = await openCase();
    const assigned = await patch(opened.id, { owner: "dana@msp.example" });
    expect(assigned.status).toBe(200);
    expect(await assigned.json()).toMatchObject({ owner: "dana@msp.example", state: "open" });

    t.clock.advance(60_000);
    const acknowledged = await (await patch(opened.id, { state: "acknowledged" })).json();
    expect(acknowledged.state).toBe("acknowledged");
    expect(acknowledged.acknowledgedAt).toBe(t.clock.now().toISOString());

    t.clock.advance(60_000);
    const resolved = await patch(opened.id, {
      state: "resolved",
      note: "Called the client; fixed.",
    });
    expect(resolved.status).toBe(200);
    const body = await resolved.json();
    expect(body).toMatchObject({ state: "resolved", resolvedAt: t.clock.now().toISOString() });
    expect(body.notes).toEqual([
      expect.objectContaining({
        author: "test",
        body: "Called the client; fixed.",
        automatic: false,
      }),
    ]);
  });

  it("an open case may be resolved directly", async () => {
    const opened = await openCase();
    const response = await patch(opened.id, {
      state: "resolved",
      note: "Duplicate of another case.",
    });
    expect((await response.json()).state).toBe("resolved");
  });

  it("resolved -> acknowledged is a 409 problem and changes nothing", async () => {
    const opened = await openCase();
    await patch(opened.id, { state: "resolved", note: "Done." });
    const response = await patch(opened.id, { state: "acknowledged", note: "reopen?" });
    expect(response.status).toBe(409);
    expect((await problemOf(response)).detail).toContain("resolved");
    const [row] = await t.ctx.db.select().from(followups).where(eq(followups.id, opened.id));
    expect(row!.state).toBe("resolved");
    const notes = await t.ctx.db
      .select()
      .from(followupNotes)
      .where(eq(followupNotes.followupId, opened.id));
    expect(notes.map((note) => note.body)).toEqual(["Done."]);
  });

  it("resolving twice and reassigning a resolved case are 409s", async () => {
    const opened = await openCase();
    await patch(opened.id, { state: "resolved", note: "Done." });
    expect((await patch(opened.id, { state: "resolved", note: "again" })).status).toBe(409);
    expect((await patch(opened.id, { owner: "someone" })).status).toBe(409);
  });

  it("acknowledging an acknowledged case is a 409", async () => {
    const opened = await openCase();
    expect((await patch(opened.id, { state: "acknowledged" })).status).toBe(200);
    expect((await patch(opened.id, { state: "acknowledged" })).status).toBe(409);
  });

  it("resolving without a note is a 400 naming the note field", async () => {
    const opened = await openCase();
    const response = await patch(opened.id, { state: "resolved" });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([expect.objectContaining({ path: "note", in: "body" })]);
    const [row] = await t.ctx.db.select().from(followups).where(eq(followups.id, opened.id));
    expect(row!.state).toBe("open");
  });

  it("an unknown state is a 400 naming the state field", async () => {
    const opened = await openCase();
    const response = await patch(opened.id, { state: "open" });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("state");
  });

  it("an unknown case is a 404", async () => {
    const response = await patch("00000000-0000-4000-8000-000000000000", { owner: "x" });
    expect(response.status).toBe(404);
    const read = await t.key("responses:read");
    const got = await t.request("/v1/followups/00000000-0000-4000-8000-000000000000", {
      key: read,
    });
    expect(got.status).toBe(404);
  });
});

describe("who may see and change follow-ups", () => {
  it("reading needs responses:read; changing needs surveys:write", async () => {
    const opened = await openCase();
    expect((await t.request("/v1/followups")).status).toBe(401);
    const metrics = await t.key("metrics:read");
    expect((await t.request("/v1/followups", { key: metrics })).status).toBe(403);
    const reader = await t.key("responses:read");
    expect((await t.request("/v1/followups", { key: reader })).status).toBe(200);
    expect((await patch(opened.id, { owner: "x" }, reader)).status).toBe(403);
  });

  it("a bad filter or cursor is a 400 naming the query field", async () => {
    const reader = await t.key("responses:read");
    const badState = await t.request("/v1/followups?state=closed", { key: reader });
    expect(badState.status).toBe(400);
    expect((await problemOf(badState)).errors?.[0]).toMatchObject({ path: "state", in: "query" });
    const badCursor = await t.request("/v1/followups?cursor=nonsense", { key: reader });
    expect(badCursor.status).toBe(400);
    expect((await problemOf(badCursor)).errors?.[0]?.path).toBe("cursor");
  });
});
