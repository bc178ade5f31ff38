import { OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { grants, type Scope } from "../apikeys/scopes.ts";
import { dashboardPages } from "../dashboard/figure-pages.ts";
import { type FollowupFilter, FollowupPage, FollowupsPage } from "../dashboard/followups-page.tsx";
import { GoalsPage } from "../dashboard/goals-page.tsx";
import {
  CsrfRefused,
  clearSessionCookie,
  type DashboardEnv,
  formOf,
  requireSession,
  safeNext,
  securityHeaders,
  setSessionCookie,
} from "../dashboard/http.ts";
import { ErrorPage, type PageFrame, renderPage, SignInPage } from "../dashboard/layout.tsx";
import { ResponsePage } from "../dashboard/response-page.tsx";
import { csrfTokenFor, signIn, signOut } from "../dashboard/sessions.ts";
import { DASHBOARD_CSS } from "../dashboard/stylesheet.ts";
import { teams } from "../db/schema/index.ts";
import { getFollowup, listFollowups, updateFollowup } from "../followups/manage.ts";
import { attainmentFor } from "../goals/attainment.ts";
import { asKind, localParts, parsePeriod, periodContaining } from "../goals/calendar.ts";
import { serviceContext } from "../http/env.ts";
import { toApiError } from "../http/errors.ts";
import { UUID } from "../http/page-cursor.ts";
import { responseDetail } from "../responses/response-detail.ts";

function frame(c: Context<DashboardEnv>, title: string, section?: PageFrame["section"]): PageFrame {
  const session = c.get("session");
  return {
    title,
    section,
    session: { keyName: session.apiKey.name, csrf: csrfTokenFor(session.token) },
  };
}

async function html(
  c: Context<DashboardEnv>,
  node: Parameters<typeof renderPage>[0],
  status = 200,
) {
  return c.html(await renderPage(node), status as 200);
}

/** Server-rendered pages for people under /dashboard: HTML only, errors included. */
export const dashboardRoutes = new OpenAPIHono<DashboardEnv>();

dashboardRoutes.use("/dashboard", securityHeaders);
dashboardRoutes.use("/dashboard/*", securityHeaders);

dashboardRoutes.get("/dashboard/assets/dashboard.css", (c) => {
  c.header("Content-Type", "text/css; charset=utf-8");
  return c.body(DASHBOARD_CSS);
});

dashboardRoutes.get("/dashboard/sign-in", (c) =>
  html(c, SignInPage({ next: c.req.query("next") ? safeNext(c.req.query("next")) : undefined })),
);

dashboardRoutes.post("/dashboard/sign-in", async (c) => {
  const form = await formOf(c);
  const session = await signIn({
    ctx: serviceContext(c.get("services")),
    input: { key: form.key ?? "" },
  });
  if (!session) {
    return html(
      c,
      SignInPage({
        error: "That key is unknown, revoked, or lacks the metrics:read scope.",
        next: form.next ? safeNext(form.next) : undefined,
      }),
      401,
    );
  }
  c.get("logFields").apiKeyId = session.apiKey.id;
  setSessionCookie(c, session.token);
  return c.redirect(safeNext(form.next), 303);
});

dashboardRoutes.post("/dashboard/sign-out", requireSession, async (c) => {
  await formOf(c);
  await signOut({
    ctx: serviceContext(c.get("services")),
    input: { token: c.get("session").token },
  });
  clearSessionCookie(c);
  return c.redirect("/dashboard/sign-in", 303);
});

/**
 * The signed-in key must also hold `scope`, as the API asks for the same data or action:
 * follow-ups (which quote comments) need `responses:read`, changing them `surveys:write`.
 */
function requireScope(scope: Scope): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (!grants(c.get("session").apiKey.scopes, scope)) {
      return errorPage(c, 403, `This needs an API key with the ${scope} scope.`);
    }
    await next();
  };
}

dashboardRoutes.get(
  "/dashboard/followups",
  requireSession,
  requireScope("responses:read"),
  async (c) => {
    const wanted = c.req.query("state") ?? "open";
    const filter: FollowupFilter =
      (["open", "overdue", "acknowledged", "resolved", "all"] as const).find(
        (value) => value === wanted,
      ) ?? "open";
    const ctx = serviceContext(c.get("services"));
    const teamKey = c.req.query("team") || undefined;
    const [team] = teamKey
      ? await ctx.db
          .select({ key: teams.key, name: teams.name })
          .from(teams)
          .where(eq(teams.key, teamKey))
      : [];
    if (teamKey && !team) return errorPage(c, 404, "There is no team with this key.");
    const { data, nextCursor } = await listFollowups({
      ctx,
      input: {
        state: filter === "all" || filter === "overdue" ? undefined : filter,
        overdue: filter === "overdue" ? true : undefined,
        team: team?.key,
        cursor: c.req.query("cursor") || undefined,
        limit: 200,
      },
    });
    return html(
      c,
      FollowupsPage({
        ...frame(c, "Follow-ups", "followups"),
        filter,
        team,
        followups: data,
        nextCursor,
        csrf: csrfTokenFor(c.get("session").token),
        notice: c.req.query("done") === "1" ? "Saved." : undefined,
      }),
    );
  },
);

dashboardRoutes.get(
  "/dashboard/followups/:id",
  requireSession,
  requireScope("responses:read"),
  async (c) => {
    const id = c.req.param("id");
    if (!UUID.test(id)) return notFoundPage(c);
    const followup = await getFollowup({ ctx: serviceContext(c.get("services")), input: { id } });
    return html(
      c,
      FollowupPage({
        ...frame(c, "Follow-up", "followups"),
        followup,
        csrf: csrfTokenFor(c.get("session").token),
      }),
    );
  },
);

dashboardRoutes.post("/dashboard/followups/:id", requireSession, async (c) => {
  const form = await formOf(c);
  if (!grants(c.get("session").apiKey.scopes, "surveys:write")) {
    return errorPage(c, 403, "Changing a follow-up needs an API key with the surveys:write scope.");
  }
  const id = c.req.param("id");
  if (!UUID.test(id)) return notFoundPage(c);
  const action = form.action;
  if (action !== "acknowledge" && action !== "resolve") {
    return errorPage(c, 400, "Choose acknowledge or resolve.");
  }
  const note = form.note?.trim().slice(0, 2000) || undefined;
  if (action === "resolve" && !note) return errorPage(c, 400, "Resolving needs a note.");
  await updateFollowup({
    ctx: serviceContext(c.get("services")),
    input: {
      id,
      author: `dashboard: ${c.get("session").apiKey.name}`,
      state: action === "acknowledge" ? "acknowledged" : "resolved",
      note,
    },
  });
  // Back to the list it was done from, with its filters, when it came from one (only a list
  // of this dashboard: never another address).
  const back = form.back;
  if (typeof back === "string" && FOLLOWUP_LIST.test(back)) {
    return c.redirect(`${back}&done=1`, 303);
  }
  return c.redirect(`/dashboard/followups/${id}`, 303);
});

const FOLLOWUP_LIST = /^\/dashboard\/followups\?state=[a-z]+(&team=[A-Za-z0-9._~%-]*)?$/;

// Where webhook events and chat messages about a response link to; it quotes the comment, so
// it needs `responses:read` as `GET /v1/responses/{id}` does.
dashboardRoutes.get(
  "/dashboard/responses/:id",
  requireSession,
  requireScope("responses:read"),
  async (c) => {
    const id = c.req.param("id");
    if (!UUID.test(id)) return notFoundPage(c);
    const detail = await responseDetail({ ctx: serviceContext(c.get("services")), input: { id } });
    if (!detail) return errorPage(c, 404, "No response has this id.");
    return html(c, ResponsePage({ ...frame(c, "Response"), detail }));
  },
);

dashboardRoutes.get("/dashboard/goals", requireSession, async (c) => {
  const ctx = serviceContext(c.get("services"));
  const asked = c.req.query("period");
  const period = asked ? parsePeriod(asked) : undefined;
  if (asked && !period) return errorPage(c, 400, "A period looks like 2026-11 or 2026-Q4.");
  const now = localParts(ctx.clock.now(), "UTC");
  const shown = period ?? periodContaining("month", now.year, now.month);
  const entries = await attainmentFor({ ctx, input: { period: shown } });
  // A month shows its quarter's goals too, whether it is asked for or the default.
  const quarter =
    shown.kind === "month"
      ? await attainmentFor({ ctx, input: { period: asKind(shown, "quarter") } })
      : [];
  return html(
    c,
    GoalsPage({
      ...frame(c, "Goals", "goals"),
      period: shown.label,
      entries: [...entries, ...quarter],
    }),
  );
});

dashboardRoutes.route("/", dashboardPages);

dashboardRoutes.all("/dashboard/*", (c) => notFoundPage(c));

dashboardRoutes.onError((error, c) => {
  if (error instanceof CsrfRefused) return errorPage(c, 403, error.message);
  const apiError = toApiError(error);
  if (apiError.status >= 500)
    c.get("logFields").error = { name: error.name, message: error.message, stack: error.stack };
  const message =
    apiError.status >= 500
      ? "The dashboard could not show this page. Try again shortly."
      : apiError.message;
  return errorPage(c, apiError.status, message);
});

function notFoundPage(c: Context<DashboardEnv>) {
  return errorPage(c, 404, "There is no such page in the dashboard.");
}

async function errorPage(c: Context<DashboardEnv>, status: number, message: string) {
  const response = await html(
    c,
    ErrorPage({ status, message, signedIn: Boolean(c.get("session")) }),
    status,
  );
  return response;
}
