import { createRoute, z } from "@hono/zod-openapi";
import { replayDeadLetter } from "../adapters/receive.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { type DeadLetter as DeadLetterRow, listDeadLetters } from "../integrations/dead-letters.ts";
import { WebhookAccepted } from "./webhooks-psa.ts";

const DeadLetter = z
  .object({
    id: z.uuid(),
    source: z.string().openapi({
      description: "`<vendor>:<integration id>`.",
      example: "connectwise:6f1c2a9e-3f0b-4b7e-9d52-0c8d5f2b7a10",
    }),
    integrationId: z.uuid().nullable(),
    reason: z.string().openapi({ example: 'No team is mapped for board or queue "Projects".' }),
    field: z.string().nullable().openapi({
      description: "The payload field the adapter could not map.",
      example: "Entity.board.name",
    }),
    body: z.string().openapi({ description: "The raw body as received." }),
    headers: z.record(z.string(), z.string()).openapi({
      description: "The delivery's headers, without credentials or signatures.",
    }),
    receivedAt: z.iso.datetime(),
    replayedAt: z.iso.datetime().nullable(),
  })
  .openapi("DeadLetter");

const admin = requireScope("admin");
const tags = ["Dead letters"];

const list = createRoute({
  method: "get",
  path: "/v1/dead-letters",
  tags,
  summary: "List PSA deliveries that could not be mapped",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z
        .string()
        .max(200)
        .optional()
        .openapi({ description: "`nextCursor` of the previous page." }),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({ data: z.array(DeadLetter), nextCursor: z.string().nullable() }),
      "Newest first.",
    ),
    ...errorResponses(401, 403),
  },
});

const replay = createRoute({
  method: "post",
  path: "/v1/dead-letters/{id}/replay",
  tags,
  summary: "Run the adapter again on a dead letter (after fixing a mapping)",
  description:
    "The stored body goes through the integration's adapter with its current mappings. The signature is not checked again: only deliveries whose signature verified are kept. Still unmappable: 400 naming the field (the letter keeps the new reason).",
  security: bearerSecurity,
  middleware: [admin] as const,
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: jsonContent(
      z.object({ deadLetter: DeadLetter, outcome: WebhookAccepted }),
      "Replayed; the letter is marked replayed.",
    ),
    ...errorResponses(401, 403, 404, 409, 502),
  },
});

function toJson(row: DeadLetterRow) {
  return {
    ...row,
    receivedAt: row.receivedAt.toISOString(),
    replayedAt: row.replayedAt?.toISOString() ?? null,
  };
}

export const deadLetterRoutes = createRouter()
  .openapi(list, async (c) => {
    const page = await listDeadLetters({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("query"),
    });
    return c.json({ data: page.data.map(toJson), nextCursor: page.nextCursor }, 200);
  })
  .openapi(replay, async (c) => {
    const { deadLetter, outcome } = await replayDeadLetter({
      ctx: serviceContext(c.get("services")),
      input: c.req.valid("param"),
    });
    return c.json({ deadLetter: toJson(deadLetter), outcome }, 200);
  });
