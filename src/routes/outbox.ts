import { createRoute, z } from "@hono/zod-openapi";
import { listOutbox, type OutboxEmail } from "../delivery/outbox.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";
import { decodeCursor } from "../http/page-cursor.ts";

const StoredEmail = z
  .object({
    id: z.uuid(),
    invitationId: z.uuid().nullable(),
    to: z.string(),
    from: z.string(),
    subject: z.string(),
    html: z.string(),
    text: z.string(),
    headers: z.record(z.string(), z.string()),
    createdAt: z.iso.datetime(),
  })
  .openapi("OutboxEmail");

const list = createRoute({
  method: "get",
  path: "/v1/outbox",
  tags: ["Delivery"],
  summary: "Emails kept by the local outbox (when Resend is not configured), newest first",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z
        .string()
        .max(200)
        .optional()
        .openapi({ description: "`nextCursor` of the previous page." }),
      to: z.string().trim().min(1).max(320).optional().openapi({
        description: "Only emails to this address (case-insensitive).",
        example: "priya.raman@acmedental.example",
      }),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({ data: z.array(StoredEmail), nextCursor: z.string().nullable() }),
      "A page of stored emails; `nextCursor` is null on the last page.",
    ),
    ...errorResponses(401, 403),
  },
});

function toJson(email: OutboxEmail) {
  return { ...email, createdAt: email.createdAt.toISOString() };
}

export const outboxRoutes = createRouter().openapi(list, async (c) => {
  const query = c.req.valid("query");
  const after = decodeCursor(query.cursor);
  const page = await listOutbox({
    ctx: serviceContext(c.get("services")),
    input: { limit: query.limit, after, to: query.to },
  });
  return c.json({ data: page.emails.map(toJson), nextCursor: page.next }, 200);
});
