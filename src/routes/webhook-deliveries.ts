import { createRoute, z } from "@hono/zod-openapi";
import { deliveryStatuses, webhookEventTypes } from "../db/schema/index.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import {
  type AttemptRow,
  type DeliveryRow,
  getDelivery,
  listDeliveries,
  replayDelivery,
} from "../webhooks/deliveries.ts";

const Attempt = z
  .object({
    id: z.uuid(),
    series: z.number().int().openapi({ description: "1 for the first series, +1 per replay." }),
    number: z.number().int(),
    at: z.iso.datetime(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    responseBody: z.string().nullable().openapi({ description: "The first 1 KiB of the answer." }),
    durationMs: z.number().int(),
  })
  .openapi("WebhookAttempt");

const Delivery = z
  .object({
    id: z
      .uuid()
      .openapi({ description: "Sent as `webhook-id: msg_<id>`, the same on every retry." }),
    subscriptionId: z.uuid(),
    eventId: z.uuid(),
    eventType: z.enum(webhookEventTypes),
    status: z.enum(deliveryStatuses),
    series: z.number().int(),
    attempts: z.number().int().openapi({ description: "Attempts in the current series." }),
    nextAttemptAt: z.iso.datetime().nullable(),
    firstAttemptAt: z.iso.datetime().nullable(),
    lastAttemptAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    createdAt: z.iso.datetime(),
    attemptLog: z
      .array(Attempt)
      .optional()
      .openapi({ description: "Only on the single delivery." }),
  })
  .openapi("WebhookDelivery");

const admin = requireScope("admin");
const tags = ["Webhooks"];
const idParam = z.object({ id: z.uuid() });

const list = createRoute({
  method: "get",
  path: "/v1/webhooks/deliveries",
  tags,
  summary: "List webhook deliveries, newest first",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    query: z.object({
      subscription: z.uuid().optional(),
      status: z.enum(deliveryStatuses).optional(),
      cursor: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({ data: z.array(Delivery), nextCursor: z.string().nullable() }),
      "A page of deliveries.",
    ),
    ...errorResponses(401, 403),
  },
});

const getOne = createRoute({
  method: "get",
  path: "/v1/webhooks/deliveries/{id}",
  tags,
  summary: "One delivery with every attempt",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: idParam },
  responses: { 200: jsonContent(Delivery, "The delivery."), ...errorResponses(401, 403, 404) },
});

const replay = createRoute({
  method: "post",
  path: "/v1/webhooks/deliveries/{id}/replay",
  tags,
  summary: "Send a finished delivery again, as a new attempt series",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: idParam },
  responses: {
    202: jsonContent(Delivery, "Queued; the worker sends it shortly."),
    ...errorResponses(401, 403, 404, 409),
  },
});

function toJson(row: DeliveryRow, attempts?: AttemptRow[]) {
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    series: row.series,
    attempts: row.attempts,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
    firstAttemptAt: row.firstAttemptAt?.toISOString() ?? null,
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    lastError: row.lastError,
    payload: row.payload,
    createdAt: row.createdAt.toISOString(),
    ...(attempts
      ? { attemptLog: attempts.map((attempt) => ({ ...attempt, at: attempt.at.toISOString() })) }
      : {}),
  };
}

export const webhookDeliveryRoutes = createRouter()
  .openapi(list, async (c) => {
    const page = await listDeliveries({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("query"),
    });
    return c.json({ data: page.data.map((row) => toJson(row)), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getOne, async (c) => {
    const { delivery, attempts } = await getDelivery({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    return c.json(toJson(delivery, attempts), 200);
  })
  .openapi(replay, async (c) => {
    const row = await replayDelivery({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    return c.json(toJson(row), 202);
  });
