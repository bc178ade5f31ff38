import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Pages run no script at all; their one stylesheet is inline, allowed by a nonce fresh for
 * each response. Forms may only post back here, and no one may frame the pages.
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    "img-src https: data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Renders a page for a person with its own CSP; nothing about it may be cached by proxies. */
export async function sendPage(
  c: Context,
  status: ContentfulStatusCode,
  build: (nonce: string) => JSX.Element,
  headers: Record<string, string> = {},
): Promise<Response> {
  const nonce = randomBytes(16).toString("base64");
  const body = `<!doctype html>${await build(nonce).toString()}`;
  return c.html(body, status, {
    "Content-Security-Policy": contentSecurityPolicy(nonce),
    "Cache-Control": "no-store",
    // Not "no-referrer": browsers then send `Origin: null` with the page's own form posts.
    "Referrer-Policy": "same-origin",
    ...headers,
  });
}
