import { readFile } from "node:fs/promises";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { surveys } from "../src/db/schema/index.ts";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
let writer: string;
let reader: string;
beforeAll(async () => {
  t = await createTestApp();
  writer = await t.key("surveys:write");
  reader = await t.key("responses:read");
});
afterAll(() => t.close());

const quarterly = {
  key: "quarterly-nps",
  scale: "nps",
  trigger: "manual",
  questions: { en: "How likely are you to recommend us?", de: "Wie wahrscheinlich…?" },
};

describe("the default surveys", () => {
  it("exist after migration: ticket-csat and project-nps, in English and German", async () => {
    const response = await t.request("/v1/surveys", { key: reader });
    expect(response.status).toBe(200);
    const { data } = await response.json();
    const byKey = Object.fromEntries(data.map((s: { key: string }) => [s.key, s]));
    expect(byKey["ticket-csat"]).toMatchObject({
      scale: "csat3",
      trigger: "ticket.closed",
      throttleDays: 7,
      active: true,
      boards: [],
      teams: [],
    });
    expect(byKey["project-nps"]).toMatchObject({ scale: "nps", trigger: "project.completed" });
    for (const survey of [byKey["ticket-csat"], byKey["project-nps"]]) {
      expect(Object.keys(survey.questions).sort()).toEqual(["de", "en"]);
      expect(Object.keys(survey.followUpQuestions).sort()).toEqual(["de", "en"]);
    }
  });

  it("are created once: running their migration again keeps later edits", async () => {
    await t.ctx.db.update(surveys).set({ throttleDays: 3 }).where(eq(surveys.key, "ticket-csat"));
    const migration = await readFile(
      new URL("../drizzle/0004_default_surveys.sql", import.meta.url),
      "utf8",
    );
    for (const statement of migration.split("--> statement-breakpoint")) {
      await t.ctx.db.execute(sql.raw(statement));
    }
    const rows = await t.ctx.db.select().from(surveys);
    expect(rows.filter((row) => row.key === "ticket-csat")).toHaveLength(1);
    expect(rows.find((row) => row.key === "ticket-csat")?.throttleDays).toBe(3);
    expect(rows.filter((row) => row.key === "project-nps")).toHaveLength(1);
    await t.ctx.db.update(surveys).set({ throttleDays: 7 }).where(eq(surveys.key, "ticket-csat"));
  });
});

describe("survey definitions are data", () => {
  it("creates a survey with defaults for what is left out, and fetches it by key", async () => {
    const created = await t.request("/v1/surveys", { key: writer, json: quarterly });
    expect(created.status).toBe(201);
    const survey = await created.json();
    expect(survey).toMatchObject({
      ...quarterly,
      followUpQuestions: {},
      delayMinutes: 0,
      throttleDays: 0,
      reminderAfterHours: null,
      expiresAfterDays: 14,
      editWindowMinutes: 30,
      boards: [],
      teams: [],
      active: true,
    });
    const fetched = await t.request("/v1/surveys/quarterly-nps", { key: reader });
    expect(await fetched.json()).toEqual(survey);
  });

  it("PUT by key creates (201) then replaces (200)", async () => {
    const body = {
      scale: "csat5",
      trigger: "ticket.closed",
      questions: { en: "Rate the onsite visit" },
      followUpQuestions: { en: "Anything else?" },
      delayMinutes: 60,
      throttleDays: 14,
      reminderAfterHours: 48,
      expiresAfterDays: 7,
      editWindowMinutes: 15,
      boards: ["Onsite"],
      teams: ["field-services"],
      active: true,
    };
    const created = await t.request("/v1/surveys/onsite-csat", {
      method: "PUT",
      key: writer,
      json: body,
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ key: "onsite-csat", ...body });
    const replaced = await t.request("/v1/surveys/onsite-csat", {
      method: "PUT",
      key: writer,
      json: { ...body, active: false, boards: [] },
    });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ active: false, boards: [], delayMinutes: 60 });
  });

  it("a taken key is a 409 on POST", async () => {
    const response = await t.request("/v1/surveys", {
      key: writer,
      json: { ...quarterly, key: "ticket-csat" },
    });
    expect(response.status).toBe(409);
    await problemOf(response);
  });

  it("an unknown key is a 404", async () => {
    expect((await t.request("/v1/surveys/nope", { key: reader })).status).toBe(404);
  });
});

describe("locale tags", () => {
  it("are read in any case and kept as BCP 47 writes them", async () => {
    const response = await t.request("/v1/surveys/upper-en", {
      method: "PUT",
      key: writer,
      json: {
        scale: "csat5",
        trigger: "manual",
        questions: {
          EN: "How did we do?",
          "de-at": "Wie war's?",
          "ZH-hant-tw": "做得如何？",
          iw: "איך היינו?",
        },
      },
    });
    expect(response.status).toBe(201);
    const survey = (await response.json()) as { questions: Record<string, string> };
    // Only the case changes: `iw` is not made `he`, as contacts' locales are matched as given.
    expect(survey.questions).toEqual({
      en: "How did we do?",
      "de-AT": "Wie war's?",
      "zh-Hant-TW": "做得如何？",
      iw: "איך היינו?",
    });
  });
});
