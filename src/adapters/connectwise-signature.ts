import { createHash, createHmac } from "node:crypto";
import { isIP } from "node:net";
import type { ServiceContext } from "../context.ts";
import { ApiError } from "../http/errors.ts";
import { badSignature, sameSecret } from "./signatures.ts";
import { isRecord, text } from "./translation.ts";

const CLOUD_SUFFIX = ".myconnectwise.net";
const KEY_TTL_MS = 10 * 60_000;
const MAX_CACHED_KEYS = 100;
const FETCH_TIMEOUT_MS = 5000;

/*
 * Signing keys by key URL. A cache only: losing it costs one fetch, and every process keeps
 * its own, so nothing about correctness lives here.
 */
const keys = new Map<string, { key: Promise<string>; expiresAt: number }>();

/**
 * The key URL when it may be fetched: https on a `*.myconnectwise.net` host with the default
 * port, or any URL on an origin listed in CONNECTWISE_KEY_ORIGINS (on-premises servers; such
 * an origin may be plain http). Userinfo, IP literals and anything else are refused.
 */
export function allowedKeyUrl(raw: string, configuredOrigins: readonly string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const configured = configuredOrigins.some((origin) => sameOrigin(origin, url));
  if (configured) return url;
  const host = url.hostname.toLowerCase();
  if (url.protocol !== "https:" || url.port !== "") return undefined;
  if (isIP(host.replace(/^\[|\]$/g, "")) !== 0) return undefined;
  if (!host.endsWith(CLOUD_SUFFIX) || host.length <= CLOUD_SUFFIX.length) return undefined;
  return url;
}

function sameOrigin(origin: string, url: URL): boolean {
  try {
    return new URL(origin).origin === url.origin;
  } catch {
    return false;
  }
}

/**
 * Checks `x-content-signature`: base64(HMAC-SHA256(key = SHA-256(signing_key), raw body)),
 * the signing key fetched from the body's `Metadata.key_url`. A mismatch with a cached key
 * fetches the key once more, in case ConnectWise rotated it.
 */
export async function verifyConnectwise(
  ctx: Pick<ServiceContext, "config" | "clock" | "logger">,
  body: Uint8Array,
  headers: Headers,
): Promise<void> {
  const signature = headers.get("x-content-signature")?.trim();
  if (!signature) throw badSignature("The x-content-signature header is missing.");
  const url = keyUrlOf(body, ctx.config.CONNECTWISE_KEY_ORIGINS);
  const now = ctx.clock.now().getTime();
  const cached = keys.get(url.href);
  const fresh = cached && cached.expiresAt > now;
  const key = await signingKey(ctx, url, now, !fresh);
  if (sameSecret(signature, sign(key, body))) return;
  if (fresh) {
    const refetched = await signingKey(ctx, url, now, true);
    if (sameSecret(signature, sign(refetched, body))) return;
  }
  throw badSignature("The x-content-signature header does not match the body.");
}

function sign(signingKey: string, body: Uint8Array): string {
  const key = createHash("sha256").update(signingKey).digest();
  return createHmac("sha256", key).update(body).digest("base64");
}

function keyUrlOf(body: Uint8Array, origins: readonly string[]): URL {
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw badSignature("The body is not JSON, so its signature cannot be checked.");
  }
  const raw = isRecord(payload) && isRecord(payload.Metadata) ? text(payload.Metadata.key_url) : "";
  if (!raw) throw badSignature("`Metadata.key_url` is missing: the signature cannot be checked.");
  const url = allowedKeyUrl(raw, origins);
  if (!url) {
    throw badSignature(
      "`Metadata.key_url` is not on an allowed ConnectWise origin (https *.myconnectwise.net or CONNECTWISE_KEY_ORIGINS).",
    );
  }
  return url;
}

function signingKey(
  ctx: Pick<ServiceContext, "logger">,
  url: URL,
  now: number,
  refresh: boolean,
): Promise<string> {
  const cached = keys.get(url.href);
  if (cached && !refresh) return cached.key;
  const key = fetchKey(url);
  key.catch(() => {
    if (keys.get(url.href)?.key === key) keys.delete(url.href);
  });
  keys.delete(url.href);
  if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value!);
  keys.set(url.href, { key, expiresAt: now + KEY_TTL_MS });
  ctx.logger.debug({ keyOrigin: url.origin }, "fetching a ConnectWise signing key");
  return key;
}

async function fetchKey(url: URL): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json" },
      // A redirect could lead anywhere: the allow-list holds only for the URL itself.
      redirect: "error",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ApiError("bad_gateway", "The ConnectWise signing key could not be fetched.", {
      cause: error,
    });
  }
  if (response.status >= 500) {
    throw new ApiError("bad_gateway", `The ConnectWise key URL answered ${response.status}.`);
  }
  const body = response.ok ? await response.text() : "";
  let key: unknown;
  try {
    key = body.length <= 65_536 ? (JSON.parse(body) as { signing_key?: unknown }).signing_key : "";
  } catch {
    key = undefined;
  }
  if (typeof key !== "string" || key === "") {
    throw badSignature("The key URL did not answer a signing key.");
  }
  return key;
}
