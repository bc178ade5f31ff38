import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { Services } from "../context.ts";
import { pageBrandingWithin } from "../emails/branding.ts";
import type { AppEnv } from "../http/env.ts";
import { toApiError } from "../http/errors.ts";
import { findByToken } from "../responses/invitation-access.ts";
import { FixedWindowLimiter, limitedNetwork } from "../responses/rate-limit.ts";
import { hashIp } from "../responses/request-evidence.ts";
import { appSecret } from "../security/app-secret.ts";
import { MessagePage } from "./message-page.tsx";
import { pageMessages } from "./messages.ts";
import { sendPage } from "./send-page.ts";

const limiters = new WeakMap<Services, FixedWindowLimiter>();

/** The client's address: the proxy's last X-Forwarded-For entry when TRUST_PROXY is set. */
export function clientIp(c: Context<AppEnv>): string {
  if (c.get("services").config.TRUST_PROXY) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // In-process requests (tests) have no socket.
    return "unknown";
  }
}

const ipHashes = new WeakMap<Request, string>();

/**
 * The keyed hash of the client's address, the only form in which it is ever kept. Computed once
 * per request: the rate limit and the click's evidence both use it.
 */
export async function clientIpHash(c: Context<AppEnv>): Promise<string> {
  const known = ipHashes.get(c.req.raw);
  if (known) return known;
  const services = c.get("services");
  const secret = await appSecret({ db: services.database.db, config: services.config });
  const hash = hashIp(secret, clientIp(c));
  ipHashes.set(c.req.raw, hash);
  return hash;
}

/** What the rate limit counts by: the address's keyed hash, or its /64's for IPv6. */
async function rateLimitKey(c: Context<AppEnv>): Promise<string> {
  const network = limitedNetwork(clientIp(c));
  if (!network) return clientIpHash(c);
  const services = c.get("services");
  const secret = await appSecret({ db: services.database.db, config: services.config });
  return hashIp(secret, network);
}

/** A friendly page in the visitor's language, for public pages without a known contact. */
export async function sendMessage(
  c: Context<AppEnv>,
  status: 200 | 400 | 403 | 404 | 410 | 429 | 500 | 503,
  pick: (m: ReturnType<typeof pageMessages>) => { title: string; body: string; hint?: string },
  options: { contactLocale?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const messages = pageMessages(options.contactLocale, c.req.header("accept-language"));
  const branding = await pageBrandingWithin({ ctx: { db: c.get("services").database.db } }, 1000);
  const text = pick(messages);
  return sendPage(
    c,
    status,
    () => MessagePage({ branding, lang: messages.lang, ...text }),
    options.headers,
  );
}

/**
 * A friendly page about a link's form (refused, too long...): in the language of the contact the
 * link reaches, as the page that held the form was, else the visitor's.
 */
export async function sendLinkMessage(
  c: Context<AppEnv>,
  token: string,
  status: 400 | 403,
  pick: (m: ReturnType<typeof pageMessages>) => { title: string; body: string; hint?: string },
): Promise<Response> {
  const target = await findByToken(c.get("services").database.db, token);
  return sendMessage(c, status, pick, { contactLocale: target?.contact.locale ?? null });
}

/**
 * In front of every public page: a per-IP rate limit (a friendly 429 with Retry-After), and
 * failures rendered as a friendly page rather than problem+json.
 */
export function publicPageGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const services = c.get("services");
    let limiter = limiters.get(services);
    if (!limiter) {
      limiter = new FixedWindowLimiter(services.config.RATE_LIMIT_PER_MINUTE, services.clock);
      limiters.set(services, limiter);
    }
    const verdict = limiter.take(await rateLimitKey(c));
    if (!verdict.allowed) {
      const seconds = verdict.retryAfterSeconds;
      return sendMessage(
        c,
        429,
        (m) => ({ title: m.rateLimitedTitle, body: m.rateLimitedBody(seconds) }),
        { headers: { "Retry-After": String(seconds) } },
      );
    }
    await next();
    // A client's error (4xx) keeps the friendly page `onError` rendered for it; a failure of
    // ours is a 500 (503 while the database is unavailable) that says nothing of the cause.
    const error = c.error ? toApiError(c.error) : undefined;
    if (error && error.status >= 500) {
      const status = error.status === 503 ? 503 : 500;
      c.res = await sendMessage(c, status, (m) => ({
        title: m.lang === "de" ? "Etwas ist schiefgegangen" : "Something went wrong",
        body:
          m.lang === "de"
            ? "Bitte versuchen Sie es in einem Moment erneut."
            : "Please try again in a moment.",
      })).catch(() => c.res);
    }
  };
}
