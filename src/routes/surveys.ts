import { createRoute, z } from "@hono/zod-openapi";
import { scales } from "../db/schema/index.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { type CampaignSkipReason, runCampaign } from "../surveys/campaigns.ts";
import {
  createSurvey,
  getSurvey,
  listSurveys,
  putSurvey,
  SurveyFields,
  SurveyInput,
  type SurveyRow,
  surveyKeySchema,
  surveyTriggers,
} from "../surveys/definitions.ts";

const Survey = z
  .object({
    id: z.uuid(),
    key: z.string(),
    scale: z.enum(scales),
    trigger: z.enum(surveyTriggers),
    questions: z.record(z.string(), z.string()),
    followUpQuestions: z.record(z.string(), z.string()),
    delayMinutes: z.number().int(),
    throttleDays: z.number().int(),
    reminderAfterHours: z.number().int().nullable(),
    expiresAfterDays: z.number().int(),
    editWindowMinutes: z.number().int(),
    boards: z.array(z.string()),
    teams: z.array(z.string()),
    active: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Survey");

const KeyParam = z.object({ key: surveyKeySchema.openapi({ param: { name: "key", in: "path" } }) });

const skipCounts = z.record(z.string(), z.number().int()).openapi({
  description:
    "Contacts skipped, by reason: the reasons an event's invitation gives (`opted_out`, " +
    "`throttled`...) and `client_ended` (the client's `endedAt` has passed).",
});

const CampaignRequest = z
  // A misspelt field (`clientExternalId`) is refused: dropped, it would reach every client.
  .strictObject({
    clientExternalIds: z
      .array(z.string().trim().min(1).max(200))
      .min(1)
      .max(10_000)
      .optional()
      .openapi({
        description: "The clients whose contacts receive the survey; all clients when omitted.",
      }),
    campaignId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({
        description:
          "Names the campaign; repeating a request with the same id reaches nobody twice. A new " +
          "id is generated when omitted.",
        example: "2026-q4-relationship-nps",
      }),
  })
  .openapi("CampaignRequest");

const CampaignResult = z
  .object({
    campaignId: z.string(),
    surveyKey: z.string(),
    contactsConsidered: z.number().int(),
    scheduled: z.number().int().openapi({ description: "Invitations scheduled now." }),
    skipped: skipCounts,
    unknownClientExternalIds: z
      .array(z.string())
      .openapi({ description: "Requested clients rapport does not know." }),
  })
  .openapi("CampaignResult");

const write = requireScope("surveys:write");
const read = requireScope("responses:read");
const tags = ["Surveys"];
const body = <T>(schema: T) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

const list = createRoute({
  method: "get",
  path: "/v1/surveys",
  tags,
  summary: "List survey definitions",
  security: bearerSecurity,
  middleware: [read] as const,
  responses: {
    200: jsonContent(z.object({ data: z.array(Survey) }), "Every survey, oldest first."),
    ...errorResponses(401, 403),
  },
});

const create = createRoute({
  method: "post",
  path: "/v1/surveys",
  tags,
  summary: "Create a survey",
  security: bearerSecurity,
  middleware: [write] as const,
  request: body(SurveyInput),
  responses: {
    201: jsonContent(Survey, "The new survey."),
    ...errorResponses(401, 403, 409),
  },
});

const fetch = createRoute({
  method: "get",
  path: "/v1/surveys/{key}",
  tags,
  summary: "Fetch a survey",
  security: bearerSecurity,
  middleware: [read] as const,
  request: { params: KeyParam },
  responses: {
    200: jsonContent(Survey, "The survey."),
    ...errorResponses(401, 403, 404),
  },
});

const put = createRoute({
  method: "put",
  path: "/v1/surveys/{key}",
  tags,
  summary: "Create or replace a survey by key",
  description:
    "Fields left out take their defaults. The scale of a survey with invitations is fixed.",
  security: bearerSecurity,
  middleware: [write] as const,
  request: { params: KeyParam, ...body(SurveyFields) },
  responses: {
    200: jsonContent(Survey, "The replaced survey."),
    201: jsonContent(Survey, "The created survey."),
    ...errorResponses(401, 403, 409),
  },
});

const campaign = createRoute({
  method: "post",
  path: "/v1/surveys/{key}/campaigns",
  tags,
  summary: "Send a manual survey to the contacts of some or all clients",
  description:
    "Schedules the survey for every contact of the selected clients with the usual rules " +
    "(excluded and ended clients, opt-outs, bounces, missing emails and the throttle are skipped).",
  security: bearerSecurity,
  middleware: [write] as const,
  request: { params: KeyParam, ...body(CampaignRequest) },
  responses: {
    202: jsonContent(
      CampaignResult,
      "How many invitations were scheduled, and why others were not.",
    ),
    ...errorResponses(401, 403, 404, 409),
  },
});

function toJson(row: SurveyRow) {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const surveyRoutes = createRouter()
  .openapi(list, async (c) => {
    const rows = await listSurveys({ ctx: serviceContext(c.get("services")) });
    return c.json({ data: rows.map(toJson) }, 200);
  })
  .openapi(create, async (c) => {
    const row = await createSurvey({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("json"),
    });
    return c.json(toJson(row), 201);
  })
  .openapi(fetch, async (c) => {
    const row = await getSurvey({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!row) throw new ApiError("not_found", "No survey has this key.");
    return c.json(toJson(row), 200);
  })
  .openapi(put, async (c) => {
    const { survey, created } = await putSurvey({
      ctx: serviceContext(c.get("services")),
      input: { ...c.req.valid("json"), key: c.req.valid("param").key },
    });
    return created ? c.json(toJson(survey), 201) : c.json(toJson(survey), 200);
  })
  .openapi(campaign, async (c) => {
    const result = await runCampaign({
      ctx: serviceContext(c.get("services")),
      input: { surveyKey: c.req.valid("param").key, ...c.req.valid("json") },
    });
    const skipped: Partial<Record<CampaignSkipReason, number>> = result.skipped;
    return c.json({ ...result, skipped }, 202);
  });
