import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.ts";

/** The security headers every response carries, unless its handler set its own value. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Origin-Agent-Cluster": "?1",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=15552000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-DNS-Prefetch-Control": "off",
  "X-Download-Options": "noopen",
  "X-Frame-Options": "SAMEORIGIN",
  "X-Permitted-Cross-Domain-Policies": "none",
  "X-XSS-Protection": "0",
};
const SECURITY_ENTRIES = Object.entries(SECURITY_HEADERS);

const REQUEST_ID_MAX_LENGTH = 64;
const REQUEST_ID_UNSAFE = /[^\w\-=]/;

/** Responses built by `completeResponse`: they already hold every standard header. */
const complete = new WeakSet<Response>();

/**
 * Gives each request its id (the caller's `X-Request-Id` when it is short and plain, else a
 * fresh UUID) and each response the security headers and `X-Request-Id`. A response built by
 * `completeResponse` has them already and is passed on untouched: touching a response's headers
 * turns its plain header object into a `Headers` instance, which the busiest pages avoid.
 */
export function responseHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const id =
      given && given.length <= REQUEST_ID_MAX_LENGTH && !REQUEST_ID_UNSAFE.test(given)
        ? given
        : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    if (complete.has(c.res)) return;
    const headers = c.res.headers;
    for (const [name, value] of SECURITY_ENTRIES) {
      if (!headers.has(name)) headers.set(name, value);
    }
    headers.set("X-Request-Id", id);
  };
}

/**
 * A response with every standard header, its own `headers` taking precedence. It is built
 * directly, not through the context: headers set earlier with `c.header()` are not carried
 * over, so a handler using it passes all of its headers here.
 */
export function completeResponse(
  c: Context,
  body: string,
  status: number,
  headers: Record<string, string>,
): Response {
  const response = new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "X-Request-Id": c.get("requestId") ?? "", ...headers },
  });
  complete.add(response);
  return response;
}
