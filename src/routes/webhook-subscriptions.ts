import { createRoute, z } from "@hono/zod-openapi";
import { webhookEventTypes, webhookFormats } from "../db/schema/index.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import {
  createSubscription,
  getSubscription,
  listSubscriptions,
  type Subscription,
  updateSubscription,
} from "../webhooks/subscriptions.ts";

const WebhookSubscription = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.enum(webhookEventTypes)),
    format: z.enum(webhookFormats),
    active: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("WebhookSubscription");

const fields = {
  url: z.string().trim().min(1).max(2000).openapi({
    description:
      "Where events are POSTed. Must be https, and must not resolve to a private, loopback or link-local address, unless OUTBOUND_ALLOW_PRIVATE is true.",
    example: "https://hooks.example.com/rapport",
  }),
  eventTypes: z.array(z.enum(webhookEventTypes)).min(1).openapi({
    description:
      "`response.recorded`: an answer starts counting. `response.changed`: a recorded answer's score or comment changed, or it stopped counting (`data.response.state` is then `quarantined` or `flagged`); `data.previous` holds the earlier `state`, `score` and `comment`. `followup.opened`, `followup.overdue`, `followup.resolved`: a follow-up case.",
  }),
  format: z.enum(webhookFormats).openapi({
    description:
      "`standard`: the signed JSON event; `slack` / `teams`: a readable message for an incoming webhook of that chat, in which comments, client names and summaries show as typed (never as links or formatting).",
  }),
  active: z.boolean(),
  description: z.string().trim().max(500).nullable(),
};

const CreateWebhookSubscription = z
  .object({
    ...fields,
    format: fields.format.default("standard"),
    active: fields.active.default(true),
    description: fields.description.optional(),
  })
  .openapi("CreateWebhookSubscription");

const UpdateWebhookSubscription = z
  .object({
    url: fields.url.optional(),
    eventTypes: fields.eventTypes.optional(),
    format: fields.format.optional(),
    active: fields.active.optional(),
    description: fields.description.optional(),
  })
  .openapi("UpdateWebhookSubscription");

const admin = requireScope("admin");
const tags = ["Webhooks"];
const idParam = z.object({ id: z.uuid() });

const create = createRoute({
  method: "post",
  path: "/v1/webhooks/subscriptions",
  tags,
  summary: "Subscribe a URL to events; the signing secret is shown once",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: CreateWebhookSubscription } },
    },
  },
  responses: {
    201: jsonContent(
      WebhookSubscription.extend({
        secret: z.string().openapi({
          description: "`whsec_` + base64 of 32 random bytes. Shown only in this response.",
        }),
      }),
      "The subscription with its signing secret.",
    ),
    ...errorResponses(401, 403),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/webhooks/subscriptions",
  tags,
  summary: "List webhook subscriptions (never their secrets)",
  security: bearerSecurity,
  middleware: [admin] as const,
  responses: {
    200: jsonContent(z.object({ data: z.array(WebhookSubscription) }), "Newest first."),
    ...errorResponses(401, 403),
  },
});

const getOne = createRoute({
  method: "get",
  path: "/v1/webhooks/subscriptions/{id}",
  tags,
  summary: "One webhook subscription",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: idParam },
  responses: {
    200: jsonContent(WebhookSubscription, "The subscription."),
    ...errorResponses(401, 403, 404),
  },
});

const update = createRoute({
  method: "patch",
  path: "/v1/webhooks/subscriptions/{id}",
  tags,
  summary: "Change a subscription (URL, events, format, active flag)",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    params: idParam,
    body: {
      required: true,
      content: { "application/json": { schema: UpdateWebhookSubscription } },
    },
  },
  responses: {
    200: jsonContent(WebhookSubscription, "The subscription after the change."),
    ...errorResponses(401, 403, 404),
  },
});

function toJson(row: Subscription) {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const webhookSubscriptionRoutes = createRouter()
  .openapi(create, async (c) => {
    const { subscription, secret } = await createSubscription({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("json"),
    });
    return c.json({ ...toJson(subscription), secret }, 201);
  })
  .openapi(list, async (c) => {
    const rows = await listSubscriptions({ ctx: serviceContext(c.get("services")) });
    return c.json({ data: rows.map(toJson) }, 200);
  })
  .openapi(getOne, async (c) => {
    const row = await getSubscription({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    return c.json(toJson(row), 200);
  })
  .openapi(update, async (c) => {
    const row = await updateSubscription({
      ctx: serviceContext(c.get("services")),
      input: { ...c.req.valid("json"), id: c.req.valid("param").id },
    });
    return c.json(toJson(row), 200);
  });
