import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../http/env.ts";
import { serviceContext } from "../http/env.ts";
import { type DashboardSession, findSession, isValidCsrfToken } from "./sessions.ts";

export interface DashboardEnv {
  Variables: AppEnv["Variables"] & { session: DashboardSession };
}

/**
 * No scripts at all, styles only from our stylesheet, forms only to ourselves, never framed:
 * an injected tag can neither run nor post elsewhere.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const securityHeaders: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  await next();
  c.res.headers.set("Content-Security-Policy", DASHBOARD_CSP);
  c.res.headers.set("Cache-Control", "no-store");
  c.res.headers.set("X-Frame-Options", "DENY");
};

/** Behind HTTPS the cookie is `Secure` and takes the `__Host-` prefix (no Domain, Path=/). */
function isHttps(c: Context<DashboardEnv>): boolean {
  const config = c.get("services").config;
  if (new URL(c.req.url).protocol === "https:") return true;
  if (config.TRUST_PROXY && c.req.header("x-forwarded-proto") === "https") return true;
  return new URL(config.PUBLIC_BASE_URL).protocol === "https:";
}

function cookieName(c: Context<DashboardEnv>): string {
  return isHttps(c) ? "__Host-rapport_session" : "rapport_session";
}

/**
 * SameSite=Lax rather than Strict: a link to the dashboard in the weekly digest email opens
 * signed in. Lax still withholds the cookie from cross-site POSTs, and every form also carries
 * a CSRF token, so nothing that changes state rides on a cross-site request.
 */
export function setSessionCookie(c: Context<DashboardEnv>, token: string) {
  setCookie(c, cookieName(c), token, {
    path: "/",
    httpOnly: true,
    secure: isHttps(c),
    sameSite: "Lax",
    // Relative, so the browser's clock cannot disagree; the server enforces `expiresAt` anyway.
    maxAge: c.get("services").config.DASHBOARD_SESSION_HOURS * 3600,
  });
}

export function clearSessionCookie(c: Context<DashboardEnv>) {
  deleteCookie(c, cookieName(c), { path: "/", secure: isHttps(c) });
}

export function sessionToken(c: Context<DashboardEnv>): string | undefined {
  return getCookie(c, cookieName(c));
}

/** Pages need a live session; without one the browser goes to the sign-in page. */
export const requireSession: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  const token = sessionToken(c);
  const session = token
    ? await findSession({ ctx: serviceContext(c.get("services")), input: { token } })
    : undefined;
  if (!session) {
    if (token) clearSessionCookie(c);
    const url = new URL(c.req.url);
    const next =
      c.req.method === "GET" ? `?next=${encodeURIComponent(url.pathname + url.search)}` : "";
    return c.redirect(`/dashboard/sign-in${next}`, 303);
  }
  c.set("session", session);
  await next();
};

export class CsrfRefused extends Error {
  override name = "CsrfRefused";
}

/**
 * A form post must come from our own pages: the browser's Origin (when sent) is ours and the
 * form carries the session's CSRF token.
 */
export async function formOf(c: Context<DashboardEnv>): Promise<Record<string, string>> {
  if (!isSameOrigin(c)) throw new CsrfRefused("The form came from another site.");
  // A body that is not a form at all (broken multipart, say) is read as an empty form.
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === "string") form[name] = value;
  }
  const session = c.get("session") as DashboardSession | undefined;
  if (session && !isValidCsrfToken(session.token, form._csrf)) {
    throw new CsrfRefused("The form has expired or did not come from this dashboard.");
  }
  return form;
}

export function isSameOrigin(c: Context<DashboardEnv>): boolean {
  if (c.req.header("sec-fetch-site") === "cross-site") return false;
  const origin = c.req.header("origin");
  if (!origin || origin === "null") return origin !== "null";
  const ours = new Set([
    new URL(c.req.url).origin,
    new URL(c.get("services").config.PUBLIC_BASE_URL).origin,
  ]);
  return ours.has(origin);
}

/** Only same-site paths under /dashboard are followed after sign-in. */
export function safeNext(next: string | undefined): string {
  return next && /^\/dashboard(\/[A-Za-z0-9\-._~/%?=&]*)?$/.test(next) && !next.startsWith("//")
    ? next
    : "/dashboard";
}
