import { z } from "@hono/zod-openapi";
import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { invitations, responses, scales, surveys } from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";

export const surveyTriggers = ["ticket.closed", "project.completed", "manual"] as const;

const surveyKey = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "must be lowercase letters, digits and dashes")
  .openapi({ description: "Stable identifier of the survey.", example: "ticket-csat" });

const locale = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, "must be a BCP 47 tag");

/**
 * A tag in BCP 47's case (`EN` is `en`, `de-at` is `de-AT`, `zh-hant` is `zh-Hant`): tags are
 * case-insensitive. Only the case changes: a tag is never replaced by another one for the same
 * language (`iw` stays `iw`), as contacts' locales are matched as they are given.
 */
function canonicalTag(tag: string): string {
  return tag
    .split("-")
    .map((part, i) => {
      if (i === 0) return part.toLowerCase();
      if (/^[A-Za-z]{4}$/.test(part)) return part[0]!.toUpperCase() + part.slice(1).toLowerCase();
      if (/^[A-Za-z]{2}$/.test(part)) return part.toUpperCase();
      return part.toLowerCase();
    })
    .join("-");
}

/** Texts per locale, keyed by canonical tag; two keys naming one locale are refused. */
const textPerLocale = z
  .record(locale, z.string().trim().min(1).max(1000))
  .transform((texts, context) => {
    const canonical: Record<string, string> = {};
    for (const [tag, text] of Object.entries(texts)) {
      const key = canonicalTag(tag);
      if (key in canonical) {
        context.addIssue({
          code: "custom",
          path: [tag],
          message: `names the same locale as another key (${key})`,
        });
        return z.NEVER;
      }
      canonical[key] = text;
    }
    return canonical;
  });

/** The editable fields of a survey definition (everything but its key). */
export const SurveyFields = z
  .strictObject({
    scale: z.enum(scales).openapi({
      description:
        "`csat3` (three faces), `csat5` (1-5) or `nps` (0-10). Fixed once the survey has invitations or responses (409).",
    }),
    trigger: z.enum(surveyTriggers).openapi({
      description:
        "`ticket.closed` or `project.completed` events schedule it; `manual` surveys go out " +
        "only through campaigns.",
    }),
    questions: textPerLocale
      .refine((value) => typeof value.en === "string", {
        message: "must include an English (`en`) question, the fallback",
      })
      .openapi({
        description: "The question per BCP 47 locale; `en` is required as the fallback.",
        example: { en: "How did we do?", de: "Wie war unsere Arbeit?" },
      }),
    followUpQuestions: textPerLocale.default({}).openapi({
      description: "Optional follow-up question per locale, asked after the score.",
      example: { en: "What could we have done better?" },
    }),
    delayMinutes: z.number().int().min(0).max(43_200).default(0).openapi({
      description: "Minutes between the trigger and the email.",
    }),
    throttleDays: z.number().int().min(0).max(365).default(0).openapi({
      description:
        "A contact surveyed on this scale (by any survey) within this many days is skipped.",
    }),
    reminderAfterHours: z.number().int().min(1).max(720).nullable().default(null).openapi({
      description: "Hours after sending to send one reminder, or null for none.",
    }),
    expiresAfterDays: z.number().int().min(1).max(365).default(14).openapi({
      description: "Days after sending that the score links stop accepting answers.",
    }),
    editWindowMinutes: z.number().int().min(0).max(10_080).default(30).openapi({
      description: "Minutes during which a second click changes the score.",
    }),
    boards: z.array(z.string().trim().min(1).max(200)).max(200).default([]).openapi({
      description: "Boards or queues it applies to (case-insensitive); empty means all.",
    }),
    teams: z.array(surveyKey).max(200).default([]).openapi({
      description: "Team keys it applies to (any touch by one); empty means all.",
    }),
    active: z.boolean().default(true).openapi({
      description: "Inactive surveys schedule nothing; skipped events record `survey_inactive`.",
    }),
  })
  .superRefine((survey, issues) => {
    if (
      survey.reminderAfterHours !== null &&
      survey.reminderAfterHours >= survey.expiresAfterDays * 24
    ) {
      issues.addIssue({
        code: "custom",
        path: ["reminderAfterHours"],
        message: "must come before the links expire (expiresAfterDays)",
      });
    }
  });

export const SurveyInput = SurveyFields.safeExtend({ key: surveyKey });

export type SurveyFieldsInput = z.infer<typeof SurveyFields>;
export type SurveyRow = typeof surveys.$inferSelect;

export const surveyKeySchema = surveyKey;

export async function listSurveys({ ctx }: { ctx: Pick<ServiceContext, "db"> }) {
  return ctx.db.select().from(surveys).orderBy(asc(surveys.createdAt), asc(surveys.key));
}

export async function getSurvey({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { key: string };
}): Promise<SurveyRow | undefined> {
  const [row] = await ctx.db.select().from(surveys).where(eq(surveys.key, input.key));
  return row;
}

/** Creates a survey; a taken key is a 409. */
export async function createSurvey({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: SurveyFieldsInput & { key: string };
}): Promise<SurveyRow> {
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .insert(surveys)
    .values({ ...input, createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: surveys.key })
    .returning();
  if (!row) throw new ApiError("conflict", `A survey with key \`${input.key}\` already exists.`);
  return row;
}

/**
 * Creates or replaces the survey with this key. Changing the scale of a survey that already has
 * invitations or responses is refused: its scores would no longer be comparable. The survey's row
 * is locked first: an invitation or response being written for it (their foreign key holds a
 * share lock on the row) commits before the check, and none can start until the change is done.
 */
export async function putSurvey({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db" | "clock">;
  input: SurveyFieldsInput & { key: string };
}): Promise<{ survey: SurveyRow; created: boolean }> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    await tx
      .select({ id: surveys.id })
      .from(surveys)
      .where(eq(surveys.key, input.key))
      .for("update");
    // Invitations, or responses collected elsewhere (`POST /v1/responses`) without one.
    const [used] = await queryRows<{ used: boolean }>(
      tx,
      sql`select exists (select 1 from ${invitations} i where i.survey_id = s.id)
            or exists (select 1 from ${responses} r where r.survey_id = s.id) as used
          from ${surveys} s where s.key = ${input.key} and s.scale <> ${input.scale}`,
    );
    if (used?.used) {
      throw new ApiError(
        "conflict",
        "This survey has invitations or responses on another scale; create a new survey instead.",
        {
          errors: [
            {
              path: "scale",
              message: "cannot change once invitations or responses exist",
              in: "body",
            },
          ],
        },
      );
    }
    const { key, ...fields } = input;
    const [row] = await tx
      .insert(surveys)
      .values({ key, ...fields, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: surveys.key, set: { ...fields, updatedAt: now } })
      .returning({ ...getTableColumns(surveys), created: sql<boolean>`(xmax = 0)` });
    const { created, ...survey } = row!;
    return { survey, created };
  });
}
