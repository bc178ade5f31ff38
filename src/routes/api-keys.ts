import { createRoute, z } from "@hono/zod-openapi";
import { createApiKey, listApiKeys, revokeApiKey } from "../apikeys/keys.ts";
import { keyName, scopes } from "../apikeys/scopes.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";

const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters, to tell keys apart." }),
    scopes: z.array(z.enum(scopes)),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi("ApiKey");

const CreateApiKey = z
  .object({
    name: keyName,
    scopes: z.array(z.enum(scopes)).min(1),
  })
  .openapi("CreateApiKey");

const admin = requireScope("admin");

const list = createRoute({
  method: "get",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "List API keys (never their secrets)",
  security: bearerSecurity,
  middleware: [admin] as const,
  responses: {
    200: jsonContent(z.object({ data: z.array(ApiKey) }), "All keys, newest first."),
    ...errorResponses(401, 403),
  },
});

const create = createRoute({
  method: "post",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key; the key is shown once",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { body: { required: true, content: { "application/json": { schema: CreateApiKey } } } },
  responses: {
    201: jsonContent(ApiKey.extend({ key: z.string() }), "The new key, with its secret."),
    ...errorResponses(401, 403),
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Revoke an API key",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: jsonContent(ApiKey, "The revoked key."),
    ...errorResponses(401, 403, 404),
  },
});

type KeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];

function toJson(row: KeyRow) {
  return {
    ...row,
    scopes: row.scopes as (typeof scopes)[number][],
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export const apiKeyRoutes = createRouter()
  .openapi(list, async (c) => {
    const rows = await listApiKeys({ ctx: serviceContext(c.get("services")) });
    return c.json({ data: rows.map(toJson) }, 200);
  })
  .openapi(create, async (c) => {
    const { key, apiKey } = await createApiKey({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("json"),
    });
    // The only answer that holds a secret: no cache keeps it.
    return c.json({ ...toJson(apiKey), key }, 201, { "Cache-Control": "no-store" });
  })
  .openapi(revoke, async (c) => {
    const revoked = await revokeApiKey({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    if (!revoked) throw new ApiError("not_found", "No API key has this id.");
    return c.json(toJson(revoked), 200);
  });
