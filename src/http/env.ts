import { OpenAPIHono } from "@hono/zod-openapi";
import type { RequestIdVariables } from "hono/request-id";
import type { ApiKeyView } from "../apikeys/keys.ts";
import type { ServiceContext, Services } from "../context.ts";
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

/** A router for one group of endpoints; its validation failures become problem+json. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The domain context for a request. */
export function serviceContext(services: Services): ServiceContext {
  return {
    db: services.database.db,
    clock: services.clock,
    config: services.config,
    logger: services.logger,
  };
}
