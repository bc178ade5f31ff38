import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import {
  createIntegration,
  deleteIntegration,
  getIntegration,
  type IntegrationView,
  listIntegrations,
  updateIntegration,
} from "../integrations/integrations.ts";
import {
  BoardTeams,
  CreateIntegration,
  IntegrationSettings,
  StatusMap,
  UpdateIntegration,
  vendors,
} from "../integrations/model.ts";
import { secretNames } from "../integrations/secrets.ts";

const Integration = z
  .object({
    id: z.uuid(),
    vendor: z.enum(vendors),
    name: z.string(),
    active: z.boolean(),
    baseUrl: z.string().nullable(),
    settings: IntegrationSettings,
    boardTeams: BoardTeams,
    statusMap: StatusMap,
    secretsSet: z.array(z.enum(secretNames)).openapi({
      description: "Which write-only secrets are stored; their values are never returned.",
      example: ["webhookSecret", "apiUsername"],
    }),
    webhookUrl: z.string().openapi({
      description: "Where the PSA should POST its webhooks for this integration.",
      example:
        "https://rapport.example/v1/webhooks/autotask?integration=6f1c2a9e-3f0b-4b7e-9d52-0c8d5f2b7a10",
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("Integration");

const admin = requireScope("admin");
const tags = ["Integrations"];
const idParam = z.object({ id: z.uuid() });

const list = createRoute({
  method: "get",
  path: "/v1/integrations",
  tags,
  summary: "List PSA integrations",
  security: bearerSecurity,
  middleware: [admin] as const,
  responses: {
    200: jsonContent(z.object({ data: z.array(Integration) }), "All integrations, newest first."),
    ...errorResponses(401, 403),
  },
});

const create = createRoute({
  method: "post",
  path: "/v1/integrations",
  tags,
  summary: "Connect a PSA (ConnectWise, Autotask or HaloPSA)",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateIntegration } } },
  },
  responses: {
    201: jsonContent(Integration, "The new integration and its webhook URL."),
    ...errorResponses(401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/integrations/{id}",
  tags,
  summary: "Fetch one integration",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: idParam },
  responses: {
    200: jsonContent(Integration, "The integration."),
    ...errorResponses(401, 403, 404),
  },
});

const update = createRoute({
  method: "patch",
  path: "/v1/integrations/{id}",
  tags,
  summary: "Change an integration's mappings, settings or secrets",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    params: idParam,
    body: { required: true, content: { "application/json": { schema: UpdateIntegration } } },
  },
  responses: {
    200: jsonContent(Integration, "The changed integration."),
    ...errorResponses(401, 403, 404),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/integrations/{id}",
  tags,
  summary: "Delete an integration and its dead letters",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: idParam },
  responses: {
    204: { description: "Deleted." },
    ...errorResponses(401, 403, 404),
  },
});

function toJson(view: IntegrationView) {
  return {
    ...view,
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
  };
}

const notFound = () => new ApiError("not_found", "No integration has this id.");

export const integrationRoutes = createRouter()
  .openapi(list, async (c) => {
    const rows = await listIntegrations({ ctx: serviceContext(c.get("services")) });
    return c.json({ data: rows.map(toJson) }, 200);
  })
  .openapi(create, async (c) => {
    const created = await createIntegration({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("json"),
    });
    return c.json(toJson(created), 201);
  })
  .openapi(get, async (c) => {
    const found = await getIntegration({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!found) throw notFound();
    return c.json(toJson(found), 200);
  })
  .openapi(update, async (c) => {
    const updated = await updateIntegration({
      ctx: serviceContext(c.get("services")),
      input: { id: c.req.valid("param").id, changes: c.req.valid("json") },
    });
    if (!updated) throw notFound();
    return c.json(toJson(updated), 200);
  })
  .openapi(remove, async (c) => {
    const deleted = await deleteIntegration({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!deleted) throw notFound();
    return c.body(null, 204);
  });
