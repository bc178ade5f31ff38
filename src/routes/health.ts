import { createRoute, z } from "@hono/zod-openapi";
import { within } from "../deadline.ts";
import { createRouter } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonContent } from "../http/openapi.ts";

const Health = z.object({ status: z.literal("ok") }).openapi("Health");

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["Health"],
  summary: "Liveness: the process is up",
  responses: { 200: jsonContent(Health, "The process answers.") },
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["Health"],
  summary: "Readiness: the database answers",
  responses: {
    200: jsonContent(Health, "The database answers a query."),
    ...errorResponses(503),
  },
});

export const healthRoutes = createRouter()
  .openapi(healthz, (c) => c.json({ status: "ok" as const }, 200))
  .openapi(readyz, async (c) => {
    try {
      // A database that does not answer within two seconds is as good as down.
      await within(c.get("services").database.ping(), 2000, () => {
        throw new Error("ping timed out");
      });
    } catch (error) {
      throw new ApiError("unavailable", "The database does not answer.", {
        cause: error,
        headers: { "Retry-After": "2" },
      });
    }
    return c.json({ status: "ok" as const }, 200);
  });
