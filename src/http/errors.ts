import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

const codes = {
  bad_request: { status: 400, title: "Bad request" },
  malformed_json: { status: 400, title: "Malformed JSON" },
  validation_failed: { status: 400, title: "Validation failed" },
  unauthorized: { status: 401, title: "Unauthorized" },
  invalid_signature: { status: 401, title: "Invalid signature" },
  forbidden: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  gone: { status: 410, title: "Gone" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  unmappable_payload: { status: 400, title: "Unmappable payload" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal server error" },
  bad_gateway: { status: 502, title: "Upstream failure" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof codes;

export interface FieldError {
  /** JSON path of the offending field, such as `touches.0.member.email`. */
  path: string;
  message: string;
  /** Where the field is: `body`, `query`, `path` or `header`. */
  in?: string;
}

/** The one error type of the API; `onError` renders it as RFC 9457 problem details. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.code = code;
    this.status = codes[code].status;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Turns anything thrown into an ApiError; unknown errors become a bare 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 400 && /JSON/i.test(error.message)) {
      return new ApiError("malformed_json", "The request body is not valid JSON.");
    }
    if (error.status === 413) return payloadTooLarge();
    const entry = Object.entries(codes).find(([, value]) => value.status === error.status);
    const code = (entry?.[0] ?? "bad_request") as ErrorCode;
    return new ApiError(code, error.message || codes[code].title);
  }
  if (hasSqlState(error, UNSTORABLE_TEXT)) {
    return new ApiError(
      "bad_request",
      "The request contains text that cannot be stored, such as a NUL character (\\u0000).",
      { cause: error },
    );
  }
  if (isConnectionFailure(error)) {
    return new ApiError("unavailable", "The database is unavailable; retry shortly.", {
      headers: { "Retry-After": "2" },
      cause: error,
    });
  }
  return new ApiError("internal", "An unexpected error occurred.", { cause: error });
}

export function payloadTooLarge(): ApiError {
  return new ApiError("payload_too_large", "The request body exceeds the size limit.");
}

/**
 * Survey and unsubscribe tokens sit in the path: they never reach a log line or a problem. The
 * path is the router's (percent-decoded, so `/%72/` is `/r/`); paths no page takes (`/R/...`,
 * `//r/...`) are redacted too, as they may still carry a real token.
 */
export function redactPath(path: string): string {
  return path.replace(/^\/+([ru])\/+[^/]+/i, "/$1/~");
}

export function problemFor(error: ApiError, c: Context): Problem {
  return {
    type: `https://rapport.dev/problems/${error.code.replaceAll("_", "-")}`,
    title: codes[error.code].title,
    status: error.status,
    detail: error.message,
    instance: redactPath(c.req.path),
    requestId: c.get("requestId") ?? "",
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export function renderProblem(c: Context, error: ApiError): Response {
  const response = c.json(problemFor(error, c), error.status, error.headers);
  response.headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
  return response;
}

/** Connection-level failures of either driver, worth a 503 rather than a 500. */
function isConnectionFailure(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === "string" &&
      // Sockets and names (a host that does not resolve or cannot be reached), the driver's
      // own connection codes, PostgreSQL's connection exceptions (class 08), an admin shutdown
      // (57P01-57P03), a server at its connection limit (53300), and a server that only reads
      // (25006: a standby, or a primary demoted by a failover).
      (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|CONNECT_TIMEOUT|CONNECTION_)/.test(
        code,
      ) ||
        /^57P0[123]$/.test(code) ||
        /^08[0-9A-Z]{3}$/.test(code) ||
        code === "53300" ||
        code === "25006")
    ) {
      return true;
    }
  }
  return false;
}

/**
 * PostgreSQL refuses NUL characters in text (22021) and `\u0000` in jsonb (22P05). Such input is
 * the client's mistake, and the statement that met it failed, so nothing of it was written.
 */
const UNSTORABLE_TEXT = new Set(["22021", "22P05"]);

function hasSqlState(error: unknown, states: Set<string>): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && states.has(code)) return true;
  }
  return false;
}
