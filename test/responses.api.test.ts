import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { responses } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { createClient, createContact, createSurvey, createWorkItem } from "./support/factories.ts";

let t: TestApp;
let writer: string;
let reader: string;
beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("events:write");
  reader = await t.key("responses:read");
});
afterAll(() => t.close());

async function fixtures() {
  const survey = await createSurvey(t.ctx.db, { scale: "nps" });
  const client = await createClient(t.ctx.db);
  const item = await createWorkItem(t.ctx.db, { clientId: client.id });
  const contact = await createContact(t.ctx.db, { clientId: client.id });
  return { survey, client, item, contact };
}

/** A client's NPS 9 collected elsewhere at `respondedAt`, on a survey and client of its own. */
async function postClientScore(respondedAt: string) {
  const survey = await createSurvey(t.ctx.db, { scale: "nps" });
  const client = await createClient(t.ctx.db);
  return t.request("/v1/responses", {
    key: writer,
    json: {
      survey: survey.key,
      client: { externalId: client.externalId },
      score: 9,
      respondedAt,
      idempotencyKey: `at-${client.id}`,
    },
  });
}

describe("POST /v1/responses", () => {
  it("records a score collected elsewhere; a replay answers the same response with 200", async () => {
    const { survey, item, contact } = await fixtures();
    const body = {
      survey: survey.key,
      workItem: { externalId: item.externalId, kind: "ticket" },
      contact: { externalId: contact.externalId },
      score: 9,
      comment: "Great phone support",
      respondedAt: "2026-11-18T15:00:00Z",
      idempotencyKey: `phone-${item.externalId}`,
    };
    const created = await t.request("/v1/responses", { key: writer, json: body });
    expect(created.status).toBe(201);
    const first = await created.json();
    expect(first).toMatchObject({
      score: 9,
      state: "recorded",
      source: "api",
      scale: "nps",
      workItemId: item.id,
      clientId: item.clientId,
      contactId: contact.id,
      invitationId: null,
      respondedAt: "2026-11-18T15:00:00.000Z",
    });
    const replay = await t.request("/v1/responses", { key: writer, json: body });
    expect(replay.status).toBe(200);
    expect((await replay.json()).id).toBe(first.id);
    const rows = await t.ctx.db
      .select()
      .from(responses)
      .where(eq(responses.idempotencyKey, body.idempotencyKey));
    expect(rows).toHaveLength(1);

    const fetched = await t.request(`/v1/responses/${first.id}`, { key: reader });
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(first);
  });

  it("the same idempotency key with a different body is a 409", async () => {
    const { survey, client } = await fixtures();
    const body = {
      survey: survey.key,
      client: { externalId: client.externalId },
      score: 7,
      respondedAt: "2026-11-18T15:00:00Z",
      idempotencyKey: `portal-${client.id}`,
    };
    expect((await t.request("/v1/responses", { key: writer, json: body })).status).toBe(201);
    const conflict = await t.request("/v1/responses", { key: writer, json: { ...body, score: 3 } });
    expect(conflict.status).toBe(409);
    expect((await problemOf(conflict)).detail).toContain("idempotencyKey");
  });

  it("concurrent posts with one key make one response", async () => {
    const { survey, client } = await fixtures();
    const body = {
      survey: survey.key,
      client: { externalId: client.externalId },
      score: 10,
      respondedAt: "2026-11-18T15:00:00Z",
      idempotencyKey: `race-${client.id}`,
    };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => t.request("/v1/responses", { key: writer, json: body })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(answers.map(async (a) => (await a.json()).id)));
    expect(ids.size).toBe(1);
  });

  it("a comment is stored as the comment box stores it: LF line breaks, each one character", async () => {
    const { survey, client } = await fixtures();
    const body = (comment: string, idempotencyKey: string) => ({
      survey: survey.key,
      client: { externalId: client.externalId },
      score: 4,
      comment,
      respondedAt: "2026-11-18T15:00:00Z",
      idempotencyKey,
    });
    const created = await t.request("/v1/responses", {
      key: writer,
      json: body("Called back\r\nAll fixed\rThanks", `lf-${client.id}`),
    });
    expect(created.status).toBe(201);
    expect((await created.json()).comment).toBe("Called back\nAll fixed\nThanks");
    // 10 lines of 199 characters and a CRLF: 2,000 characters, 2,010 UTF-16 units as sent.
    const full = `${"x".repeat(199)}\r\n`.repeat(10);
    const longest = await t.request("/v1/responses", {
      key: writer,
      json: body(full, `full-${client.id}`),
    });
    expect(longest.status).toBe(201);
    expect((await longest.json()).comment).toBe(`${"x".repeat(199)}\n`.repeat(10));
    const over = await t.request("/v1/responses", {
      key: writer,
      json: body(`${full}x`, `over-${client.id}`),
    });
    expect(over.status).toBe(400);
    expect((await problemOf(over)).errors?.map((e: { path: string }) => e.path)).toEqual([
      "comment",
    ]);
  });

  it("invalid fields are problem+json naming each field path", async () => {
    const { survey } = await fixtures();
    const missing = await t.request("/v1/responses", {
      key: writer,
      json: { survey: survey.key, score: "x" },
    });
    expect(missing.status).toBe(400);
    const paths = (await problemOf(missing)).errors?.map((e) => e.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(["score", "respondedAt", "idempotencyKey"]));

    const offScale = await t.request("/v1/responses", {
      key: writer,
      json: {
        survey: survey.key,
        client: { externalId: "no-such-client" },
        score: 11,
        respondedAt: "2026-11-18T15:00:00Z",
        idempotencyKey: "off-scale",
      },
    });
    expect(offScale.status).toBe(400);
    const problem = await problemOf(offScale);
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["client.externalId", "score"]);
    expect(
      await t.ctx.db.select().from(responses).where(eq(responses.idempotencyKey, "off-scale")),
    ).toHaveLength(0);

    const neither = await t.request("/v1/responses", {
      key: writer,
      json: {
        survey: survey.key,
        score: 5,
        respondedAt: "2026-11-18T15:00:00Z",
        idempotencyKey: "neither",
      },
    });
    expect((await problemOf(neither)).errors?.[0]?.path).toBe("client");
  });

  it.each([
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:00:00-10:00",
    // In the future, past a few minutes' clock skew: no one has answered yet.
    "2030-01-01T00:00:00Z",
  ])("a respondedAt of %s is a 400 naming it", async (respondedAt) => {
    const response = await postClientScore(respondedAt);
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("respondedAt");
  });

  it("needs the events:write scope; reading needs responses:read", async () => {
    expect((await t.request("/v1/responses", { key: reader, json: {} })).status).toBe(403);
    const unknown = await t.request("/v1/responses/00000000-0000-4000-8000-000000000000", {
      key: reader,
    });
    expect(unknown.status).toBe(404);
    expect(
      (await t.request("/v1/responses/00000000-0000-4000-8000-000000000000", { key: writer }))
        .status,
    ).toBe(403);
    const badId = await t.request("/v1/responses/not-a-uuid", { key: reader });
    expect((await problemOf(badId)).errors?.[0]).toMatchObject({ path: "id", in: "path" });
  });
});

describe("POST /v1/responses and the clock", () => {
  it("takes a respondedAt a minute ahead of this server's clock as the other system's skew", async () => {
    const response = await postClientScore(
      new Date(t.clock.now().getTime() + 60_000).toISOString(),
    );
    expect(response.status).toBe(201);
  });
});
