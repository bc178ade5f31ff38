import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { instantInput } from "../instant.ts";
import { getResponse, recordExternalResponse } from "../responses/api-response.ts";
import type { ResponseRow } from "../responses/invitation-access.ts";
import { COMMENT_MAX_LENGTH, commentText } from "../responses/post-comment.ts";

const externalId = z.string().trim().min(1).max(200);

export const ResponseSchema = z
  .object({
    id: z.uuid(),
    invitationId: z.uuid().nullable(),
    surveyId: z.uuid(),
    workItemId: z.uuid().nullable(),
    clientId: z.uuid(),
    contactId: z.uuid().nullable(),
    scale: z.enum(["csat3", "csat5", "nps"]),
    score: z.number().int(),
    state: z.enum(["recorded", "quarantined", "flagged"]).openapi({
      description: "Only `recorded` responses count in metrics; the others were link scanners.",
    }),
    comment: z.string().nullable(),
    source: z.enum(["email", "api"]),
    respondedAt: z.iso.datetime(),
    finalAt: z.iso.datetime().openapi({ description: "The score can change until then." }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Response");

const CreateResponse = z
  .object({
    survey: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .openapi({ description: "The survey's key.", example: "ticket-csat" }),
    workItem: z
      .object({ externalId, kind: z.enum(["ticket", "project"]) })
      .nullish()
      .openapi({
        description:
          "The ticket or project answered about. When the survey emailed its contact about it, the " +
          "score answers that invitation (unless `contact` names someone else): no reminder or " +
          "email follows, the response rate counts it, and its link shows this answer. A scanner's " +
          "flagged or quarantined click on it gives way to this answer; a person's answer there " +
          "already is a 409 naming that response.",
      }),
    client: z
      .object({ externalId })
      .nullish()
      .openapi({ description: "Needed when there is no work item." }),
    contact: z.object({ externalId }).nullish(),
    score: z
      .number()
      .int()
      .openapi({ description: "Valid for the survey's scale: csat3 1-3, csat5 1-5, nps 0-10." }),
    comment: z
      .string()
      // Stored as the comment box stores it: line breaks as LF, each one character of the limit.
      .overwrite(commentText)
      .max(COMMENT_MAX_LENGTH)
      .nullish(),
    respondedAt: instantInput().openapi({
      description:
        "When the person gave the score; not in the future (up to 5 minutes ahead is taken " +
        "as the other system's clock).",
    }),
    idempotencyKey: z.string().trim().min(1).max(200).openapi({
      description:
        "A retry with the same key and body answers the same response; another body is a 409.",
    }),
  })
  .refine((body) => body.workItem || body.client, {
    message: "Give a workItem or a client.",
    path: ["client"],
  })
  .openapi("CreateResponse");

const getOne = createRoute({
  method: "get",
  path: "/v1/responses/{id}",
  tags: ["Responses"],
  summary: "One response",
  security: bearerSecurity,
  middleware: [requireScope("responses:read")] as const,
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: jsonContent(ResponseSchema, "The response."),
    ...errorResponses(401, 403, 404),
  },
});

const create = createRoute({
  method: "post",
  path: "/v1/responses",
  tags: ["Responses"],
  summary: "Record a score collected elsewhere",
  description:
    "A score given outside the email (a phone call, a portal). It counts at once and is final. " +
    "About a work item the survey emailed, it answers that invitation (see `workItem`).",
  security: bearerSecurity,
  middleware: [requireScope("events:write")] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateResponse } } },
  },
  responses: {
    200: jsonContent(
      ResponseSchema,
      "A replay: the response made by the first request with this key.",
    ),
    201: jsonContent(ResponseSchema, "The new response."),
    ...errorResponses(401, 403, 409),
  },
});

export function responseJson(row: ResponseRow) {
  return {
    id: row.id,
    invitationId: row.invitationId,
    surveyId: row.surveyId,
    workItemId: row.workItemId,
    clientId: row.clientId,
    contactId: row.contactId,
    scale: row.scale,
    score: row.score,
    state: row.state,
    comment: row.comment,
    source: row.source,
    respondedAt: row.respondedAt.toISOString(),
    finalAt: row.finalAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const responseRoutes = createRouter()
  .openapi(getOne, async (c) => {
    const row = await getResponse({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!row) throw new ApiError("not_found", "No response has this id.");
    return c.json(responseJson(row), 200);
  })
  .openapi(create, async (c) => {
    const { response, created } = await recordExternalResponse({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("json"),
    });
    return created ? c.json(responseJson(response), 201) : c.json(responseJson(response), 200);
  });
