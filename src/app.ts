import { Scalar } from "@scalar/hono-api-reference";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { Services } from "./context.ts";
import { createRouter } from "./http/env.ts";
import { ApiError, payloadTooLarge, renderProblem, toApiError } from "./http/errors.ts";
import { routers } from "./routes/index.ts";

const API_DESCRIPTION = `rapport measures MSP teams on shared outcomes: CSAT and NPS surveys sent when
PSA work closes, attributed to every team and member that touched the work.

Authenticate with \`Authorization: Bearer <key>\`; make keys with \`npx rapport keys create\`.
Scopes: \`events:write\`, \`directory:write\`, \`surveys:write\`, \`responses:read\`,
\`metrics:read\`, \`admin\` (admin implies all). Errors are RFC 9457 problem details
(\`application/problem+json\`) carrying the request id and, for validation, the field paths.`;

/** Builds the HTTP application around its services; no I/O happens until a request arrives. */
export function createApp(services: Services) {
  const app = createRouter();
  const requestLog = services.logger.child({ kind: "request" });

  app.use(requestId({ limitLength: 64, generator: () => crypto.randomUUID() }));
  app.use(async (c, next) => {
    const started = performance.now();
    c.set("services", services);
    c.set("logFields", {});
    await next();
    const status = c.res.status;
    const line = {
      requestId: c.var.requestId,
      method: c.req.method,
      path: redactPath(new URL(c.req.url).pathname),
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...c.var.logFields,
    };
    if (status >= 500) requestLog.error(line, "request failed");
    else requestLog.info(line, "request");
  });
  app.use(secureHeaders({ crossOriginResourcePolicy: "same-origin" }));
  app.use(
    bodyLimit({
      maxSize: services.config.BODY_LIMIT_BYTES,
      onError: () => {
        throw payloadTooLarge();
      },
    }),
  );

  for (const router of routers) app.route("/", router);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key made with `npx rapport keys create`.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "rapport API", version: "1.0.0", description: API_DESCRIPTION },
  });
  app.get(
    "/docs",
    async (c, next) => {
      await next();
      // The reference viewer is a client-side bundle: allow its script and styles here only.
      c.res.headers.set(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; font-src 'self' data: https://fonts.gstatic.com https://cdn.jsdelivr.net; img-src 'self' data:; connect-src 'self'",
      );
    },
    Scalar({ url: "/openapi.json", pageTitle: "rapport API" }),
  );

  app.notFound((c) =>
    renderProblem(
      c,
      new ApiError("not_found", `No route for ${c.req.method} ${redactPath(c.req.path)}.`),
    ),
  );
  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      c.var.logFields.error = describeError(error);
    }
    return renderProblem(c, apiError);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

/** Survey and unsubscribe tokens sit in the path: they never reach a log line. */
export function redactPath(path: string): string {
  return path.replace(/^\/(r|u)\/[^/]+/, "/$1/~");
}

function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    code: (error as { code?: unknown }).code,
    stack: error.stack,
  };
}
