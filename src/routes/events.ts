import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { CanonicalEvent } from "../intake/event.ts";
import { ingestEvent } from "../intake/ingest.ts";

const skipReasons = [
  "no_survey",
  "survey_inactive",
  "not_applicable",
  "client_excluded",
  "opted_out",
  "bounced",
  "no_email",
  "throttled",
  "already_surveyed",
  "no_contact",
  "contact_erased",
] as const;

const Invitation = z
  .discriminatedUnion("status", [
    z.object({
      status: z.literal("scheduled"),
      id: z.uuid().openapi({ description: "The invitation's id." }),
      surveyKey: z.string().openapi({ example: "ticket-csat" }),
      sendAt: z.iso.datetime().openapi({ description: "When the email is due to go out." }),
    }),
    z.object({
      status: z.literal("skipped"),
      reason: z.enum(skipReasons).openapi({
        description:
          "Why no invitation was scheduled: `no_survey` (no survey has this trigger), " +
          "`survey_inactive`, `not_applicable` (board or team filters exclude the item), " +
          "`client_excluded`, `opted_out`, `bounced` (bounce or spam complaint), `no_email`, " +
          "`throttled` (the contact had a survey of this scale within the survey's " +
          "`throttleDays`), `already_surveyed` (this work item already had this survey, for " +
          "instance a reopen then re-close of a ticket whose survey was already sent; one not " +
          "yet sent is held while the ticket is reopened and answered here as `scheduled`, with " +
          "its new `sendAt`, by the close that follows), `no_contact`, `contact_erased` (the contact was " +
          "erased: an event naming their old id is recorded without their details).",
      }),
      surveyKey: z.string().nullable().openapi({ description: "The survey considered, if any." }),
    }),
  ])
  .nullable()
  .openapi("InvitationDecision", {
    description:
      "The invitation this event scheduled, or why none was; null when the event type " +
      "triggers no survey (updates and reopens). A duplicate answers the first delivery's decision.",
  });

export const EventAccepted = z
  .object({
    eventId: z.uuid().openapi({ description: "rapport's id of the stored event." }),
    duplicate: z.boolean().openapi({
      description: "True when this event id was received before: nothing was recorded again.",
    }),
    workItemId: z.uuid().nullable().openapi({ description: "The work item the event recorded." }),
    touchesRecorded: z
      .number()
      .int()
      .openapi({ description: "Touches this delivery added (repeats are not counted)." }),
    invitation: Invitation,
  })
  .openapi("EventAccepted");

const post = createRoute({
  method: "post",
  path: "/v1/events",
  tags: ["Events"],
  summary: "Record a canonical work event",
  description:
    "Records the work item, its client and contact, every member and team that touched it, and " +
    "schedules the survey the event triggers, all at once. A repeated `id` is acknowledged and " +
    "ignored, so producers may retry freely.",
  security: bearerSecurity,
  middleware: [requireScope("events:write")] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CanonicalEvent } } },
  },
  responses: {
    202: jsonContent(EventAccepted, "What was recorded, and the invitation decision."),
    ...errorResponses(401, 403),
  },
});

export const eventRoutes = createRouter().openapi(post, async (c) => {
  const result = await ingestEvent({
    ctx: serviceContext(c.get("services")),
    input: { source: "api", event: c.req.valid("json") },
  });
  c.get("logFields").eventId = result.eventId;
  return c.json(result, 202);
});
