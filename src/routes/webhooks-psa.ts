import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { receiveWebhook } from "../adapters/receive.ts";
import { type AppEnv, createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { type Vendor, vendors } from "../integrations/model.ts";
import { EventAccepted } from "./events.ts";

export const WebhookAccepted = z
  .union([
    EventAccepted.extend({ status: z.literal("ingested") }),
    z.object({
      status: z.literal("ignored"),
      reason: z.string().openapi({ example: "a deleted record is not surveyed" }),
    }),
  ])
  .openapi("WebhookAccepted", {
    description:
      "`ingested`: what intake recorded (a redelivery answers `duplicate: true`). `ignored`: the delivery is acknowledged and nothing is recorded (deleted records, statuses mapped to `ignore`, other entity types).",
  });

const howToAuthenticate: Record<Vendor, string> = {
  connectwise:
    "ConnectWise PSA callbacks (`Entity` as a JSON string). Authenticated by `x-content-signature`, checked with the signing key fetched from `Metadata.key_url` (https `*.myconnectwise.net`, or an origin in CONNECTWISE_KEY_ORIGINS). With the integration's API keys and `baseUrl`, a closed ticket's time entries are read from the ConnectWise REST API; a failing API is a 502.",
  autotask:
    'Autotask ticket webhooks. Authenticated by `X-Hook-Signature: sha1=<base64 HMAC-SHA1>` with the integration\'s `webhookSecret`; contact, company and resources are read from the Autotask REST API, and so is the ticket when `Fields` lacks its status, queue, company, contact or assigned resource (Autotask sends only changed and "always display" fields); a failing API is a 502.',
  halopsa:
    "HaloPSA outbound webhooks (`ticket` and `action`). Authenticated by the integration's Basic credential or bearer token in `Authorization`.",
};

const responses = {
  202: jsonContent(WebhookAccepted, "Accepted."),
  ...errorResponses(401, 404, 502),
};

function routesFor(vendor: Vendor): RouteConfig[] {
  const common = {
    method: "post" as const,
    tags: ["PSA webhooks"],
    description: `${howToAuthenticate[vendor]} A payload that cannot be mapped is answered 400 naming the field and kept as a dead letter (see \`X-Dead-Letter-Id\`).`,
    responses,
  };
  return [
    createRoute({
      ...common,
      path: `/v1/webhooks/${vendor}`,
      summary: `Receive a ${vendor} webhook`,
      request: {
        query: z.object({
          integration: z.uuid().openapi({ description: "The integration's id." }),
        }),
      },
    }),
    createRoute({
      ...common,
      path: `/v1/webhooks/${vendor}/{integration}`,
      summary: `Receive a ${vendor} webhook (integration id in the path)`,
      request: { params: z.object({ integration: z.uuid() }) },
    }),
  ];
}

export const psaWebhookRoutes = createRouter();

for (const vendor of vendors) {
  const [byQuery, byPath] = routesFor(vendor);
  const handle = async (c: Context<AppEnv>, integrationId: string) => {
    c.get("logFields").integrationId = integrationId;
    // The signature covers the exact bytes: read them once, parse JSON ourselves.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const outcome = await receiveWebhook({
      ctx: serviceContext(c.get("services")),
      input: { vendor, integrationId, body, headers: c.req.raw.headers },
    });
    c.get("logFields").webhook = outcome.status;
    return c.json(outcome, 202);
  };
  psaWebhookRoutes.openapi(byQuery!, (c) => handle(c, c.req.query("integration")!));
  psaWebhookRoutes.openapi(byPath!, (c) => handle(c, c.req.param("integration")!));
}
