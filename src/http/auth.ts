import type { MiddlewareHandler } from "hono";
import { authenticateKey } from "../apikeys/keys.ts";
import { grants, type Scope } from "../apikeys/scopes.ts";
import { type AppEnv, serviceContext } from "./env.ts";
import { ApiError } from "./errors.ts";

/** `Authorization: Bearer <key>` with the given scope (`admin` implies all). */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new ApiError("unauthorized", "Send an API key as `Authorization: Bearer <key>`.", {
        headers: { "WWW-Authenticate": 'Bearer realm="rapport"' },
      });
    }
    const apiKey = await authenticateKey({
      ctx: serviceContext(c.get("services")),
      input: { key: match[1]! },
    });
    if (!apiKey) {
      throw new ApiError("unauthorized", "The API key is unknown or revoked.", {
        headers: { "WWW-Authenticate": 'Bearer realm="rapport", error="invalid_token"' },
      });
    }
    c.set("apiKey", apiKey);
    c.get("logFields").apiKeyId = apiKey.id;
    if (!grants(apiKey.scopes, scope)) {
      throw new ApiError("forbidden", `This API key lacks the \`${scope}\` scope.`);
    }
    await next();
  };
}

export const bearerSecurity = [{ bearerAuth: [] }];
