import { createRoute, z } from "@hono/zod-openapi";
import { followupStates } from "../db/schema/index.ts";
import {
  type FollowupView,
  getFollowup,
  listFollowups,
  updateFollowup,
} from "../followups/manage.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent, queryNumber } from "../http/openapi.ts";

const Note = z
  .object({
    id: z.uuid(),
    author: z
      .string()
      .openapi({ description: "The API key's name, or `rapport` for automatic notes." }),
    body: z.string(),
    automatic: z.boolean(),
    at: z.iso.datetime(),
  })
  .openapi("FollowupNote");

const Followup = z
  .object({
    id: z.uuid(),
    state: z.enum(followupStates),
    overdue: z.boolean().openapi({
      description: "Still `open` after FOLLOWUP_OVERDUE_BUSINESS_HOURS business hours.",
    }),
    owner: z.string().nullable(),
    responseId: z.uuid(),
    workItemId: z.uuid().nullable(),
    clientId: z.uuid(),
    teams: z
      .array(z.object({ id: z.uuid(), key: z.string(), name: z.string() }))
      .openapi({ description: "The teams the work item is credited to now." }),
    members: z
      .array(z.object({ id: z.uuid(), name: z.string() }))
      .openapi({ description: "The members the work item is credited to now." }),
    response: z.object({
      scale: z.string(),
      score: z.number().int(),
      comment: z.string().nullable(),
      state: z.string(),
      respondedAt: z.iso.datetime(),
    }),
    openedAt: z.iso.datetime(),
    dueAt: z.iso.datetime().openapi({ description: "When an `open` case becomes overdue." }),
    acknowledgedAt: z.iso.datetime().nullable(),
    resolvedAt: z.iso.datetime().nullable(),
    notes: z.array(Note).optional().openapi({ description: "Only on `GET /v1/followups/{id}`." }),
  })
  .openapi("Followup");

const booleanQuery = z.enum(["true", "false"]).transform((value) => value === "true");

const ListQuery = z.object({
  state: z.enum(followupStates).optional(),
  team: z.string().min(1).max(100).optional().openapi({
    description:
      "A team key, such as `help-desk`: cases whose work item is credited to the team now (late touches included, as in the metrics).",
  }),
  overdue: booleanQuery.optional(),
  olderThanHours: queryNumber(z.coerce.number().min(0).max(100_000).optional(), {
    type: "number",
    minimum: 0,
    maximum: 100_000,
    description: "Only cases opened at least this many hours ago (age).",
  }),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const UpdateFollowup = z
  .object({
    state: z.enum(["acknowledged", "resolved"]).optional(),
    owner: z.string().trim().min(1).max(200).nullable().optional().openapi({
      description: "Who handles the case (a name or email); `null` unassigns.",
    }),
    note: z.string().trim().min(1).max(5000).optional(),
  })
  .refine((body) => body.state !== "resolved" || body.note !== undefined, {
    path: ["note"],
    message: "a note is required to resolve a follow-up",
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: "give at least one of state, owner, note",
  })
  .openapi("UpdateFollowup");

const read = requireScope("responses:read");
// Handling cases changes data but not survey setup or keys; `surveys:write` is the write scope
// the people running the survey programme already hold (admin implies it).
const write = requireScope("surveys:write");

const list = createRoute({
  method: "get",
  path: "/v1/followups",
  tags: ["Follow-ups"],
  summary: "List follow-up cases, newest first",
  security: bearerSecurity,
  middleware: [read] as const,
  request: { query: ListQuery },
  responses: {
    200: jsonContent(
      z.object({ data: z.array(Followup), nextCursor: z.string().nullable() }),
      "A page of cases; pass `nextCursor` as `cursor` for the next page.",
    ),
    ...errorResponses(401, 403),
  },
});

const getOne = createRoute({
  method: "get",
  path: "/v1/followups/{id}",
  tags: ["Follow-ups"],
  summary: "One follow-up case with its notes",
  security: bearerSecurity,
  middleware: [read] as const,
  request: { params: z.object({ id: z.uuid() }) },
  responses: { 200: jsonContent(Followup, "The case."), ...errorResponses(401, 403, 404) },
});

const update = createRoute({
  method: "patch",
  path: "/v1/followups/{id}",
  tags: ["Follow-ups"],
  summary: "Assign, acknowledge, resolve (with a note) or annotate a case",
  description:
    "States move `open` -> `acknowledged` -> `resolved` (or `open` -> `resolved`); any other move is a 409. Needs `surveys:write`.",
  security: bearerSecurity,
  middleware: [write] as const,
  request: {
    params: z.object({ id: z.uuid() }),
    body: { required: true, content: { "application/json": { schema: UpdateFollowup } } },
  },
  responses: {
    200: jsonContent(Followup, "The case after the change."),
    ...errorResponses(401, 403, 404, 409),
  },
});

function toJson(view: FollowupView) {
  return {
    id: view.id,
    state: view.state,
    overdue: view.overdue,
    owner: view.owner,
    responseId: view.responseId,
    workItemId: view.workItemId,
    clientId: view.clientId,
    teams: view.teams,
    members: view.members,
    response: { ...view.response, respondedAt: view.response.respondedAt.toISOString() },
    openedAt: view.openedAt.toISOString(),
    dueAt: view.dueAt.toISOString(),
    acknowledgedAt: view.acknowledgedAt?.toISOString() ?? null,
    resolvedAt: view.resolvedAt?.toISOString() ?? null,
    ...(view.notes
      ? {
          notes: view.notes.map((note) => ({
            id: note.id,
            author: note.author,
            body: note.body,
            automatic: note.automatic,
            at: note.at.toISOString(),
          })),
        }
      : {}),
  };
}

export const followupRoutes = createRouter()
  .openapi(list, async (c) => {
    const page = await listFollowups({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("query"),
    });
    return c.json({ data: page.data.map(toJson), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getOne, async (c) => {
    const view = await getFollowup({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    return c.json(toJson(view), 200);
  })
  .openapi(update, async (c) => {
    const view = await updateFollowup({
      ctx: serviceContext(c.get("services")),
      input: { ...c.req.valid("json"), id: c.req.valid("param").id, author: c.get("apiKey").name },
    });
    return c.json(toJson(view), 200);
  });
