import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { HTTPException } from "hono/http-exception";
import { timeout } from "hono/timeout";
import type { Services } from "./context.ts";
import { pageBrandingWithin } from "./emails/branding.ts";
import { type AppEnv, createRouter } from "./http/env.ts";
import { ApiError, payloadTooLarge, redactPath, renderProblem, toApiError } from "./http/errors.ts";
import type { InFlightRequests } from "./http/in-flight.ts";
import { responseHeaders } from "./http/response-headers.ts";
import { MessagePage } from "./pages/message-page.tsx";
import { pageMessages } from "./pages/messages.ts";
import { sendPage } from "./pages/send-page.ts";
import { routers } from "./routes/index.ts";

const API_DESCRIPTION = `rapport measures MSP teams on shared outcomes: CSAT and NPS surveys sent when
PSA work closes, attributed to every team and member that touched the work.

Authenticate with \`Authorization: Bearer <key>\`; make keys with \`npx rapport keys create\`.
Scopes: \`events:write\`, \`directory:write\`, \`surveys:write\`, \`responses:read\`,
\`metrics:read\`, \`admin\` (admin implies all). Errors are RFC 9457 problem details
(\`application/problem+json\`) carrying the request id and, for validation, the field paths.`;

/**
 * Builds the HTTP application around its services; no I/O happens until a request arrives.
 * `inFlight`, when given, counts every request until its handler is done.
 */
export function createApp(services: Services, options: { inFlight?: InFlightRequests } = {}) {
  const app = createRouter();
  const requestLog = services.logger.child({ kind: "request" });
  const { inFlight } = options;

  app.use(responseHeaders());
  app.use(async (c, next) => {
    const started = performance.now();
    c.set("services", services);
    c.set("logFields", {});
    await next();
    const status = c.res.status;
    const line = {
      requestId: c.get("requestId"),
      method: c.req.method,
      // The path as the router saw it (percent-decoded), so an encoded `/r/` is redacted too.
      path: redactPath(c.req.path),
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...c.get("logFields"),
    };
    if (status >= 500) requestLog.error(line, "request failed");
    else requestLog.info(line, "request");
  });
  // A request that cannot finish (the database unreachable mid-query) gets a 503, never a hang.
  app.use(
    timeout(
      services.config.REQUEST_TIMEOUT_MS,
      () =>
        new ApiError("unavailable", "The request could not finish in time; retry shortly.", {
          headers: { "Retry-After": "2" },
        }) as unknown as HTTPException,
    ),
  );
  // Counted in flight inside the timeout: a request answered 503 at its deadline whose handler
  // still runs stays in flight until the handler is done, so a shutdown waits for it before it
  // closes the database.
  if (inFlight) app.use((_c, next) => inFlight.track(next));
  const limitBody = bodyLimit({
    maxSize: services.config.BODY_LIMIT_BYTES,
    onError: () => {
      throw payloadTooLarge();
    },
  });
  // No GET or HEAD handler reads a body; checking for one would build a full Request for nothing.
  app.use((c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    // `application/json ; charset=utf-8` is JSON (RFC 9110 allows space around `;`): the
    // routes' media type check does not, so the type reaches it without that space.
    const type = c.req.header("content-type");
    if (type && /^\s*application\/json\s+;/i.test(type)) {
      c.req.raw.headers.set("content-type", type.trim().replace(/\s*;\s*/g, "; "));
    }
    return limitBody(c, next);
  });

  // Routers may extend the app's variables (the dashboard adds its session): mount them as is.
  for (const router of routers) app.route("/", router as unknown as typeof app);

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
    renderFailure(
      c,
      new ApiError("not_found", `No route for ${c.req.method} ${redactPath(c.req.path)}.`),
    ),
  );
  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      c.get("logFields").error = describeError(error);
    }
    return renderFailure(c, apiError);
  });
  return app;
}

/** Pages for people: score links, unsubscribe and the dashboard. */
const PAGE_PATH = /^\/(r|u|dashboard)(\/|$)/;

/**
 * Problem details for the API; a friendly page for people, also for failures met before a page's
 * own route runs (an unknown method, an oversized form body).
 */
function renderFailure(c: Context<AppEnv>, error: ApiError): Response | Promise<Response> {
  if (!PAGE_PATH.test(c.req.path)) return renderProblem(c, error);
  return renderFailurePage(c, error);
}

async function renderFailurePage(c: Context<AppEnv>, error: ApiError): Promise<Response> {
  const m = pageMessages(null, c.req.header("accept-language"));
  // The failure may be the database itself: wait for the branding a second at most.
  const branding = await pageBrandingWithin({ ctx: { db: c.get("services").database.db } }, 1000);
  const german = m.lang === "de";
  const text =
    error.status === 404 || error.status === 405
      ? { title: m.notFoundTitle, body: m.notFoundBody }
      : error.status === 403
        ? { title: m.forbiddenTitle, body: m.forbiddenBody }
        : error.status < 500
          ? {
              title: german ? "Diese Anfrage ging nicht" : "We could not accept this request",
              body: german
                ? "Bitte öffnen Sie den Link aus der E-Mail erneut."
                : "Please open the link from the email again.",
            }
          : {
              title: german ? "Etwas ist schiefgegangen" : "Something went wrong",
              body: german
                ? "Bitte versuchen Sie es in einem Moment erneut."
                : "Please try again in a moment.",
            };
  return sendPage(
    c,
    error.status,
    () => MessagePage({ branding, lang: m.lang, ...text }),
    error.headers,
  );
}

export type App = ReturnType<typeof createApp>;

function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    code: (error as { code?: unknown }).code,
    stack: error.stack,
  };
}
