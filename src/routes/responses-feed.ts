import { createRoute, z } from "@hono/zod-openapi";
import { readFeed } from "../attribution/feed.ts";
import { feedCsv } from "../attribution/feed-csv.ts";
import { responseStates } from "../db/schema/index.ts";
import { bearerSecurity, requireScope } from "../http/auth.ts";
import { createRouter, serviceContext } from "../http/env.ts";
import { errorResponses } from "../http/openapi.ts";
import { instantInput } from "../instant.ts";

const commaList = z.string().transform((v) =>
  v
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

const FeedQuery = z.object({
  cursor: z.string().max(500).optional().openapi({
    description: "`nextCursor` of the previous page. Keep the last one to fetch later changes.",
  }),
  updatedSince: instantInput().optional().openapi({
    description:
      "First page only: starts a sync at this instant (RFC 3339). Responses already in the feed that were last updated before it are left out; whatever enters the feed later comes through the sync's cursors, older responses whose attribution or board changed included.",
  }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  state: z
    .string()
    .optional()
    .transform((v, c) => {
      if (v === undefined) return undefined;
      const states = v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = states.find((s) => !(responseStates as readonly string[]).includes(s));
      if (bad) {
        c.addIssue({ code: "custom", message: `unknown state \`${bad}\`` });
        return z.NEVER;
      }
      return states;
    })
    .openapi({
      type: "string",
      description: "Comma-separated: recorded, quarantined, flagged (default all).",
    }),
  team: commaList.optional().openapi({ description: "Responses credited to these team keys." }),
  member: commaList
    .optional()
    .openapi({ description: "Responses credited to these member external ids." }),
  client: commaList.optional().openapi({ description: "These client external ids." }),
  survey: commaList.optional().openapi({ description: "These survey keys." }),
  board: commaList.optional().openapi({ description: "These boards." }),
});

const FeedItem = z
  .object({
    id: z.uuid(),
    score: z.number().int(),
    scale: z.enum(["csat3", "csat5", "nps"]),
    survey: z.string().openapi({ description: "The survey key." }),
    state: z
      .enum(responseStates)
      .openapi({ description: "Only `recorded` responses count in the metrics." }),
    comment: z.string().nullable(),
    contactId: z.uuid().nullable(),
    client: z.object({ externalId: z.string() }),
    workItem: z
      .object({
        externalId: z.string(),
        reference: z.string().nullable().openapi({
          description:
            "The number people know the ticket or project by in the PSA (Autotask's `TicketNumber`), when recorded.",
        }),
        kind: z.enum(["ticket", "project"]),
        board: z.string().nullable(),
      })
      .nullable(),
    source: z.enum(["email", "api"]),
    respondedAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    attribution: z
      .array(z.object({ team: z.string(), member: z.string(), weight: z.number() }))
      .openapi({
        description:
          "One line per (member, team) pair that touched the work item, late touches included. `weight` is the pair's share of touch minutes on the item, or an equal share when no minutes are known; weights sum to 1. In shared credit each team and member counts the response in full.",
      }),
  })
  .openapi("FeedResponse");

const feed = createRoute({
  method: "get",
  path: "/v1/responses",
  tags: ["Responses"],
  summary: "The attributed-score feed, for incremental sync",
  description: `Every response with its attribution, in the order its latest change committed.
Page with \`nextCursor\` until \`hasMore\` is false; keep the last \`nextCursor\` and call again later
to get only what changed since (a changed response comes again with its new values). Every
response version is served exactly once across pages, even while responses are being written:
positions are handed out to committed rows only, in commit order. Filters select on a response's
values as they are now: one that stops matching (quarantined later, its touch moved to another
team) is not served again on a filtered cursor, so a sync that keeps a copy reads without filters
and filters on its side. \`Accept: text/csv\` answers
the same rows as CSV, with \`X-Next-Cursor\` and \`X-Has-More\` headers; attribution becomes the
columns \`teams\`, \`members\` (keys joined by \`;\`) and \`attribution\` (\`team/member=weight\`
joined by \`;\`).`,
  security: bearerSecurity,
  middleware: [requireScope("responses:read")] as const,
  request: { query: FeedQuery },
  responses: {
    200: {
      description: "One page of the feed.",
      content: {
        "application/json": {
          schema: z
            .object({ data: z.array(FeedItem), nextCursor: z.string(), hasMore: z.boolean() })
            .openapi("FeedPage"),
        },
        "text/csv": { schema: z.string() },
      },
    },
    ...errorResponses(401, 403),
  },
});

export const responsesFeedRoutes = createRouter().openapi(feed, async (c) => {
  const query = c.req.valid("query");
  const page = await readFeed({
    ctx: serviceContext(c.get("services")),
    input: {
      cursor: query.cursor,
      updatedSince: query.updatedSince,
      limit: query.limit,
      state: query.state,
      filters: {
        ...(query.team ? { team: query.team } : {}),
        ...(query.member ? { member: query.member } : {}),
        ...(query.client ? { client: query.client } : {}),
        ...(query.survey ? { survey: query.survey } : {}),
        ...(query.board ? { board: query.board } : {}),
      },
    },
  });
  if ((c.req.header("accept") ?? "").includes("text/csv")) {
    return c.body(feedCsv(page.data), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "X-Next-Cursor": page.nextCursor,
      "X-Has-More": String(page.hasMore),
    });
  }
  return c.json(
    page as unknown as { data: z.infer<typeof FeedItem>[]; nextCursor: string; hasMore: boolean },
    200,
  );
});
