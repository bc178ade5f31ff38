import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { surveys } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";
import { canonicalEvent, createClient, createContact } from "./support/factories.ts";
import { withRowLocked } from "./support/row-lock.ts";

let t: TestApp;
let writer: string;
beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("surveys:write");
});
afterAll(() => t.close());

async function pathsOf(response: Response) {
  expect(response.status).toBe(400);
  return (await problemOf(response)).errors!.map((e) => e.path);
}

describe("invalid survey definitions", () => {
  it("names each bad field and stores nothing", async () => {
    const before = (await t.ctx.db.select().from(surveys)).length;
    const response = await t.request("/v1/surveys", {
      key: writer,
      json: {
        key: "Bad Key",
        scale: "stars",
        trigger: "ticket.opened",
        questions: { de: "Nur Deutsch" },
        delayMinutes: -1,
        teams: ["Help Desk"],
      },
    });
    expect(await pathsOf(response)).toEqual(
      expect.arrayContaining(["key", "scale", "trigger", "questions", "delayMinutes", "teams.0"]),
    );
    expect((await t.ctx.db.select().from(surveys)).length).toBe(before);
  });

  it("a reminder after the links expire is refused at reminderAfterHours", async () => {
    const response = await t.request("/v1/surveys/late-reminder", {
      method: "PUT",
      key: writer,
      json: {
        scale: "csat3",
        trigger: "ticket.closed",
        questions: { en: "How did we do?" },
        expiresAfterDays: 2,
        reminderAfterHours: 48,
      },
    });
    expect(await pathsOf(response)).toEqual(["reminderAfterHours"]);
  });

  it("a bad locale tag is refused", async () => {
    const response = await t.request("/v1/surveys/locale", {
      method: "PUT",
      key: writer,
      json: { scale: "csat3", trigger: "manual", questions: { en: "Hi", "not a tag!": "x" } },
    });
    expect(response.status).toBe(400);
  });

  it("the scale of a survey that sent invitations cannot change", async () => {
    const events = await t.key("events:write");
    const posted = await t.request("/v1/events", { key: events, json: canonicalEvent() });
    expect((await posted.json()).invitation.status).toBe("scheduled");
    const response = await t.request("/v1/surveys/ticket-csat", {
      method: "PUT",
      key: writer,
      json: { scale: "csat5", trigger: "ticket.closed", questions: { en: "Rate us" } },
    });
    expect(response.status).toBe(409);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("scale");
  });

  it("the scale of a survey with responses collected elsewhere cannot change either", async () => {
    const put = (scale: string) =>
      t.request("/v1/surveys/phone-csat", {
        method: "PUT",
        key: writer,
        json: { scale, trigger: "manual", questions: { en: "How did the call go?" } },
      });
    expect((await put("csat5")).status).toBe(201);
    const client = await createClient(t.ctx.db);
    const recorded = await t.request("/v1/responses", {
      key: await t.key("events:write"),
      json: {
        survey: "phone-csat",
        client: { externalId: client.externalId },
        score: 4,
        respondedAt: "2026-11-10T10:00:00Z",
        idempotencyKey: "phone-1",
      },
    });
    expect(recorded.status).toBe(201);
    const response = await put("nps");
    expect(response.status).toBe(409);
    expect((await problemOf(response)).errors?.[0]?.path).toBe("scale");
    // Same scale, other fields: still a plain update.
    expect((await put("csat5")).status).toBe(200);
  });

  it("a scale change waits for an invitation being written, then is refused (PostgreSQL)", async (context) => {
    const url = (t.services.database as { url?: string }).url;
    if (!url) return context.skip();
    const put = (scale: string) =>
      t.request("/v1/surveys/racing-csat", {
        method: "PUT",
        key: writer,
        json: { scale, trigger: "manual", questions: { en: "How did we do?" } },
      });
    const created = await put("csat3");
    expect(created.status).toBe(201);
    const survey = await created.json();
    const contact = await createContact(t.ctx.db);
    // The invitation is written, not yet committed, while the scale change arrives.
    const [changed] = await withRowLocked(
      url,
      (tx) => tx`insert into invitations (survey_id, contact_id, client_id, token_hash,
          token_nonce, send_at, next_attempt_at, expires_at)
        values (${survey.id}, ${contact.id}, ${contact.clientId}, 'racing-hash', 'racing',
          now(), now(), now() + interval '14 days')`,
      [{ start: () => put("nps"), waiters: 1 }],
    );
    expect(changed!.status).toBe(409);
    expect((await problemOf(changed!)).errors?.[0]?.path).toBe("scale");
    const [row] = await t.ctx.db
      .select({ scale: surveys.scale })
      .from(surveys)
      .where(eq(surveys.key, "racing-csat"));
    expect(row?.scale).toBe("csat3");
  });

  it("writing needs surveys:write, reading needs responses:read", async () => {
    const reader = await t.key("responses:read");
    const write = await t.request("/v1/surveys/x", {
      method: "PUT",
      key: reader,
      json: { scale: "csat3", trigger: "manual", questions: { en: "Hi" } },
    });
    expect(write.status).toBe(403);
    const metrics = await t.key("metrics:read");
    expect((await t.request("/v1/surveys", { key: metrics })).status).toBe(403);
    expect((await t.request("/v1/surveys")).status).toBe(401);
  });
});

describe("survey bodies name only known fields", () => {
  it("a misspelt field is a 400 naming it, rather than its default taken silently", async () => {
    const response = await t.request("/v1/surveys/typo-csat", {
      method: "PUT",
      key: writer,
      json: {
        scale: "csat5",
        trigger: "manual",
        questions: { en: "How did we do?" },
        throttleDay: 14,
      },
    });
    expect(await pathsOf(response)).toEqual(["throttleDay"]);
  });

  it("two keys naming one locale in another case are refused", async () => {
    const response = await t.request("/v1/surveys/twice-en", {
      method: "PUT",
      key: writer,
      json: { scale: "csat5", trigger: "manual", questions: { en: "One", EN: "Two" } },
    });
    expect(await pathsOf(response)).toEqual(["questions.EN"]);
  });
});
