import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { completeResponse } from "../http/response-headers.ts";

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

function pageHeaders(nonce: string, headers: Record<string, string>): Record<string, string> {
  return {
    "Content-Type": "text/html; charset=UTF-8",
    "Content-Security-Policy": contentSecurityPolicy(nonce),
    "Cache-Control": "no-store",
    // Not "no-referrer": browsers then send `Origin: null` with the page's own form posts.
    "Referrer-Policy": "same-origin",
    ...headers,
  };
}

const NONCE_BYTES = 16;
// Nonces are cut from a block of random bytes drawn 256 nonces at a time: one call into the
// system's generator per 256 pages instead of one per page. Each byte is used once.
let nonceBlock = Buffer.alloc(0);
let nonceOffset = 0;

function newNonce(): string {
  if (nonceOffset + NONCE_BYTES > nonceBlock.length) {
    nonceBlock = randomBytes(NONCE_BYTES * 256);
    nonceOffset = 0;
  }
  const nonce = nonceBlock.toString("base64", nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/** Renders a page for a person with its own CSP; nothing about it may be cached by proxies. */
export async function sendPage(
  c: Context,
  status: ContentfulStatusCode,
  build: (nonce: string) => JSX.Element,
  headers: Record<string, string> = {},
): Promise<Response> {
  const nonce = newNonce();
  const body = `<!doctype html>${await build(nonce).toString()}`;
  return completeResponse(c, body, status, pageHeaders(nonce, headers));
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
 * values, such as a link token and a form token: it is rendered once with markers, and each
 * request fills its values (and the CSP nonce) in. The values must be text the template would
 * not escape (base64url), and `key` must name everything else the page depends on.
 */
export async function sendShapedPage(
  c: Context,
  status: ContentfulStatusCode,
  shape: {
    owner: object;
    key: string;
    values: string[];
    build: (nonce: string, values: string[]) => JSX.Element;
  },
): Promise<Response> {
  let byKey = shapes.get(shape.owner);
  if (!byKey) {
    byKey = new Map();
    shapes.set(shape.owner, byKey);
  }
  let known = byKey.get(shape.key);
  if (!known) {
    // Slot 0 is the nonce, slot i the i-th value.
    const valueMarkers = shape.values.map((_, i) => `${MARKER}${i + 1}.`);
    const html = `<!doctype html>${await shape.build(`${MARKER}0.`, valueMarkers).toString()}`;
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
  const nonce = newNonce();
  const values = [nonce, ...shape.values];
  let body = known.parts[0]!;
  for (let i = 0; i < known.slots.length; i++) {
    body += values[known.slots[i]!]! + known.parts[i + 1]!;
  }
  return completeResponse(c, body, status, pageHeaders(nonce, {}));
}
