import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import type { ApiKeyView } from "../apikeys/keys.ts";
import type { ServiceContext, Services } from "../context.ts";
import { ApiError } from "./errors.ts";
import { validationHook } from "./validation.ts";

/**
 * Handlers read these with `c.get(name)`: hono's `c.var` builds a new object holding every
 * variable on each access.
 */
export interface AppEnv {
  Variables: RequestIdVariables & {
    services: Services;
    apiKey: ApiKeyView;
    /** Extra fields for the request's log line. */
    logFields: Record<string, unknown>;
  };
}

/**
 * A router for one group of endpoints; its validation failures become problem+json, and a route
 * whose body is required refuses a request that has none.
 */
export function createRouter() {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const declare = router.openapi;
  router.openapi = ((route: Parameters<typeof declare>[0], ...rest: unknown[]) =>
    (declare as (...args: unknown[]) => unknown)(
      route.request?.body?.required
        ? // After the route's own checks: a request without a key is a 401 before anything else.
          { ...route, middleware: [...[route.middleware ?? []].flat(), requireBody] }
        : route,
      ...rest,
    )) as typeof declare;
  return router;
}

/**
 * A request without a body (and so without a content type) on a route that requires one: the
 * library's JSON validator would read it as `{}` (a team made of defaults, a campaign to every
 * client). A body without a content type is left to its 415.
 */
const requireBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header("content-type") === undefined) {
    if (c.req.raw.body === null || (await c.req.arrayBuffer()).byteLength === 0) {
      throw new ApiError("validation_failed", "Invalid body: a JSON body is required.", {
        errors: [{ path: "", message: "is required", in: "body" }],
      });
    }
  }
  await next();
};

/** The domain context for a request. */
export function serviceContext(services: Services): ServiceContext {
  return {
    db: services.database.db,
    clock: services.clock,
    config: services.config,
    logger: services.logger,
  };
}
