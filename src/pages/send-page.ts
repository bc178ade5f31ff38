import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { completeResponse } from "../http/response-headers.ts";

/**
 * Pages run no script and carry no inline style: their one stylesheet comes from this origin
 * (`pageStylesheetPath`). Forms may only post back here, and no one may frame the pages.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src https: data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=UTF-8",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "Cache-Control": "no-store",
  // Not "no-referrer": browsers then send `Origin: null` with the page's own form posts.
  "Referrer-Policy": "same-origin",
};

/** Renders a page for a person; nothing about it may be cached by proxies. */
export async function sendPage(
  c: Context,
  status: ContentfulStatusCode,
  build: () => JSX.Element,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = `<!doctype html>${await build().toString()}`;
  return completeResponse(c, body, status, { ...PAGE_HEADERS, ...headers });
}

/** A page rendered once with markers where its per-request values go, split at the markers. */
interface PageShape {
  parts: string[];
  /** Which value goes after each part but the last. */
  slots: number[];
}

// Random per process, so no text in a template or in stored data can pose as a marker.
const MARKER = `rapport-slot-${randomBytes(8).toString("hex")}-`;
const MARKERS = new RegExp(`${MARKER}(\\d+)\\.`, "g");
const SHAPES_PER_OWNER = 512;
const shapes = new WeakMap<object, Map<string, PageShape>>();

/**
 * Sends a page that, for one `owner` (the branding in force) and `key`, differs only in a few
 * values, such as a form token: it is rendered once with markers, and each request fills its
 * values in. The values must be text the template would not escape (base64url), and `key` must
 * name everything else the page depends on.
 */
export async function sendShapedPage(
  c: Context,
  status: ContentfulStatusCode,
  shape: {
    owner: object;
    key: string;
    values: string[];
    build: (values: string[]) => JSX.Element;
  },
): Promise<Response> {
  let byKey = shapes.get(shape.owner);
  if (!byKey) {
    byKey = new Map();
    shapes.set(shape.owner, byKey);
  }
  let known = byKey.get(shape.key);
  if (!known) {
    // Slot i is the i-th value.
    const valueMarkers = shape.values.map((_, i) => `${MARKER}${i}.`);
    const html = `<!doctype html>${await shape.build(valueMarkers).toString()}`;
    known = { parts: [], slots: [] };
    let last = 0;
    for (const match of html.matchAll(MARKERS)) {
      known.parts.push(html.slice(last, match.index));
      known.slots.push(Number(match[1]));
      last = match.index + match[0].length;
    }
    known.parts.push(html.slice(last));
    if (byKey.size >= SHAPES_PER_OWNER) byKey.clear();
    byKey.set(shape.key, known);
  }
  let body = known.parts[0]!;
  for (let i = 0; i < known.slots.length; i++) {
    body += shape.values[known.slots[i]!]! + known.parts[i + 1]!;
  }
  return completeResponse(c, body, status, PAGE_HEADERS);
}
