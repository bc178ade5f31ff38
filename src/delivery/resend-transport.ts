import { type CreateBatchEmailOptions, Resend } from "resend";
import { parseRetryAfter } from "./backoff.ts";
import { RequestPacer } from "./pacer.ts";
import type { OutgoingEmail, SendOutcome, Transport } from "./transport.ts";

const DEFAULT_BASE_URL = "https://api.resend.com";
// Resend answers `concurrent_idempotent_requests` while a twin request is still running.
const CONCURRENT_RETRY_MS = 5_000;

export interface ResendTransportOptions {
  apiKey: string;
  /** Passed to the SDK explicitly, so that the SDK never falls back to reading the environment. */
  baseUrl: string | undefined;
  requestsPerSecond: number;
  /** A request still unanswered after this long is abandoned (and retried later). */
  timeoutMs: number;
}

/**
 * Sends through the Resend SDK's `batch.send`: up to 100 emails a request, one idempotency
 * key per batch, per-email validation ("permissive") so one bad address does not sink the
 * other 99, and the request rate of this process held to `requestsPerSecond`.
 */
export function createResendTransport(options: ResendTransportOptions): Transport {
  const client = new Resend(options.apiKey, {
    baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
    userAgent: "rapport",
  });
  const pacer = new RequestPacer(options.requestsPerSecond);

  return {
    name: "resend",
    maxBatchSize: 100,
    readyInMs: () => pacer.readyInMs(),
    async send(ctx, batchKey, emails) {
      await pacer.take();
      let response: unknown;
      try {
        response = await client.batch.send(emails.map(toResendEmail), {
          idempotencyKey: batchKey,
          batchValidation: "permissive",
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        // The SDK turns fetch failures into `{ error }`, but anything it lets through
        // (an abort, a bug) still leaves the outcome unknown: retry the same batch.
        return { kind: "retry", reason: `request failed: ${describe(error)}` };
      }
      const outcome = interpretResponse(response, emails.length, ctx.clock.now());
      if (outcome.kind === "retry" && outcome.rateLimited) {
        pacer.pause(outcome.retryAfterMs ?? 1000);
      }
      return outcome;
    },
  };
}

function toResendEmail(email: OutgoingEmail): CreateBatchEmailOptions {
  return {
    from: email.from,
    to: [email.to],
    subject: email.subject,
    html: email.html,
    text: email.text,
    headers: email.headers,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    // Tags come back in Resend's webhooks and dashboard: they tie an email to its invitation.
    tags: [
      ...(email.invitationId ? [{ name: "invitation_id", value: email.invitationId }] : []),
      { name: "email_kind", value: email.kind },
    ],
  };
}

/** Turns whatever the SDK answered (`{ data, error, headers }` in any state) into an outcome. */
export function interpretResponse(response: unknown, count: number, now: Date): SendOutcome {
  const { data, error, headers } = (response ?? {}) as {
    data?: unknown;
    error?: unknown;
    headers?: Record<string, string> | null;
  };
  if (error !== null && error !== undefined) {
    return classifyError(error, headers ?? null, now, count);
  }
  const ids = (data as { data?: unknown } | null)?.data;
  if (!Array.isArray(ids)) {
    // A 2xx we cannot read: the provider may have sent; only the same key may retry it.
    return { kind: "retry", reason: "the provider's answer carried no email ids" };
  }
  const rejected = new Map<number, string>();
  const errors = (data as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    for (const entry of errors as Array<{ index?: unknown; message?: unknown }>) {
      if (typeof entry?.index === "number") {
        rejected.set(entry.index, String(entry.message ?? "rejected by the provider"));
      }
    }
  }
  // Permissive validation answers ids for the accepted emails only, in input order.
  const accepted = ids.map((item) => {
    const id = (item as { id?: unknown } | null)?.id;
    return typeof id === "string" ? id : null;
  });
  let next = 0;
  const results = Array.from({ length: count }, (_, index) => {
    const reason = rejected.get(index);
    if (reason !== undefined) return { error: reason };
    return { providerMessageId: accepted[next++] ?? null };
  });
  return { kind: "accepted", results };
}

const statusByName: Record<string, number> = {
  validation_error: 422,
  invalid_from_address: 422,
  invalid_attachment: 422,
  invalid_parameter: 422,
  missing_required_field: 422,
  invalid_idempotency_key: 400,
  invalid_idempotent_request: 409,
  concurrent_idempotent_requests: 409,
  rate_limit_exceeded: 429,
  daily_quota_exceeded: 429,
  monthly_quota_exceeded: 429,
  missing_api_key: 401,
  invalid_api_key: 403,
  restricted_api_key: 401,
  internal_server_error: 500,
};

function classifyError(
  error: unknown,
  headers: Record<string, string> | null,
  now: Date,
  count: number,
): SendOutcome {
  const fields = (typeof error === "object" ? error : {}) as {
    statusCode?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const name = typeof fields.name === "string" ? fields.name : "unknown_error";
  const status =
    typeof fields.statusCode === "number" ? fields.statusCode : (statusByName[name] ?? null);
  const message =
    typeof fields.message === "string" ? fields.message : JSON.stringify(error).slice(0, 300);
  const reason = `${status ?? "no response"} ${name}: ${message}`;

  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers?.["retry-after"], now);
    return {
      kind: "retry",
      reason,
      rateLimited: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (name === "concurrent_idempotent_requests") {
    return { kind: "retry", reason, retryAfterMs: CONCURRENT_RETRY_MS };
  }
  if (name === "invalid_idempotent_request") {
    // The key was used before with a different body: that earlier request, whose answer was
    // lost, went through, and its emails were sent. A retry differs when what its emails show
    // changed meanwhile (a late time entry) or members left the batch. Sending under a new key
    // could deliver a survey twice: the batch counts as sent, the provider's ids unknown.
    return {
      kind: "accepted",
      results: Array.from({ length: count }, () => ({ providerMessageId: null })),
      note: "accepted by an earlier attempt under this key",
    };
  }
  if (status === 400 || status === 422) return { kind: "rejected", reason };
  // 5xx, no response (network error, timeout), and account problems (401/403) an operator can fix.
  return { kind: "retry", reason };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
