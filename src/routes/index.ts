import { apiKeyRoutes } from "./api-keys.ts";
import { healthRoutes } from "./health.ts";

/** Every router, mounted at the root by `createApp`. */
export const routers = [healthRoutes, apiKeyRoutes];
