import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { invitationHistory } from "../responses/invitation-history.ts";

const InvitationHistory = z
  .object({
    id: z.uuid(),
    survey: z.string().openapi({ description: "The survey's key." }),
    contactId: z.uuid(),
    status: z.enum(["scheduled", "sending", "sent", "failed", "cancelled"]),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    sendAt: z.iso.datetime(),
    sentAt: z.iso.datetime().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
    openedAt: z.iso.datetime().nullable(),
    reminderStatus: z.string(),
    expiresAt: z.iso.datetime(),
    response: z
      .object({
        id: z.uuid(),
        state: z.string(),
        score: z.number().int(),
        respondedAt: z.iso.datetime(),
      })
      .nullable(),
    events: z.array(
      z.object({
        type: z.string(),
        at: z.iso.datetime(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
    clicks: z.object({
      total: z.number().int(),
      byVerdict: z.record(z.string(), z.number().int()).openapi({
        description:
          "recorded, changed, quarantined (burst), flagged (scanner signature), final, ignored (HEAD/prefetch).",
      }),
      firstAt: z.iso.datetime().nullable(),
      lastAt: z.iso.datetime().nullable(),
    }),
  })
  .openapi("InvitationHistory");

const list = createRoute({
  method: "get",
  path: "/v1/invitations",
  tags: ["Responses"],
  summary: "A work item's invitations, their state and history",
  security: bearerSecurity,
  middleware: [requireScope("responses:read")] as const,
  request: {
    query: z.object({
      workItem: z
        .string()
        .trim()
        .min(1)
        .max(200)
        .openapi({ description: "The PSA's ticket or project id." }),
      kind: z.enum(["ticket", "project"]).default("ticket"),
    }),
  },
  responses: {
    200: jsonContent(z.object({ data: z.array(InvitationHistory) }), "Oldest first."),
    ...errorResponses(401, 403, 404),
  },
});

const iso = (value: Date | null) => value?.toISOString() ?? null;

export const invitationRoutes = createRouter().openapi(list, async (c) => {
  const query = c.req.valid("query");
  const history = await invitationHistory({
    ctx: serviceContext(c.get("services")),
    input: { externalId: query.workItem, kind: query.kind },
  });
  if (!history) throw new ApiError("not_found", `No ${query.kind} has this externalId.`);
  return c.json(
    {
      data: history.map(({ invitation, surveyKey, response, events, clicks }) => ({
        id: invitation.id,
        survey: surveyKey,
        contactId: invitation.contactId,
        status: invitation.status,
        attempts: invitation.attempts,
        lastError: invitation.lastError,
        sendAt: invitation.sendAt.toISOString(),
        sentAt: iso(invitation.sentAt),
        deliveredAt: iso(invitation.deliveredAt),
        openedAt: iso(invitation.openedAt),
        reminderStatus: invitation.reminderStatus,
        expiresAt: invitation.expiresAt.toISOString(),
        response: response
          ? {
              id: response.id,
              state: response.state,
              score: response.score,
              respondedAt: response.respondedAt.toISOString(),
            }
          : null,
        events: events.map((event) => ({
          type: event.type,
          at: event.at.toISOString(),
          detail: event.detail,
        })),
        clicks: { ...clicks, firstAt: iso(clicks.firstAt), lastAt: iso(clicks.lastAt) },
      })),
    },
    200,
  );
});
