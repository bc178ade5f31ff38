import type { Config } from "../config.ts";
import type { ServiceContext } from "../context.ts";
import { createOutboxTransport } from "./outbox-transport.ts";
import { createResendTransport } from "./resend-transport.ts";

export type EmailKind = "survey" | "reminder";

/** One rendered email, ready for a transport: a survey, a reminder, or a team's digest. */
export interface OutgoingEmail {
  /** The invitation it belongs to; null for emails that answer no invitation (digests). */
  invitationId: string | null;
  kind: EmailKind | "digest";
  /** `invitation/<id>` or `reminder/<id>`: names this one email for its whole life. */
  idempotencyKey: string;
  to: string;
  from: string;
  replyTo: string | null;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

/** What became of a batch. */
export type SendOutcome =
  /** Accepted: a provider id (or null when it gave none) per email, or a per-email rejection. */
  | {
      kind: "accepted";
      results: Array<{ providerMessageId: string | null } | { error: string }>;
      /** Why the provider's ids are unknown, when they are (kept in each email's history). */
      note?: string;
    }
  /** Not accepted, or unknown whether accepted: retry the very same batch later. */
  | { kind: "retry"; reason: string; retryAfterMs?: number; rateLimited?: boolean }
  /** Refused for good (validation): retrying cannot help. */
  | { kind: "rejected"; reason: string };

/**
 * A job waits this long at most for the transport's next request slot; a longer wait (a
 * provider's Retry-After) is left to the worker loop, so no worker sleeps holding claimed work.
 */
export const MAX_PACE_WAIT_MS = 2_000;

/** A way out for survey emails: Resend, or the local outbox. */
export interface Transport {
  readonly name: "resend" | "outbox";
  readonly maxBatchSize: number;
  /**
   * Milliseconds until this process may send again (rate limit or a provider's Retry-After);
   * 0 when it may send now.
   */
  readyInMs(): number;
  /**
   * Sends a batch. `batchKey` is the same on every retry of the same batch, so a provider can
   * recognise and drop a repeat. Never throws for a provider failure: answers the outcome.
   */
  send(ctx: ServiceContext, batchKey: string, emails: OutgoingEmail[]): Promise<SendOutcome>;
}

// One transport per configuration: the rate limit state lives in it, for this process.
const transports = new WeakMap<Config, Transport>();

/** Resend when RESEND_API_KEY is set, otherwise the local outbox. */
export function transportFor(config: Config): Transport {
  let transport = transports.get(config);
  if (!transport) {
    transport = config.RESEND_API_KEY
      ? createResendTransport({
          apiKey: config.RESEND_API_KEY,
          baseUrl: config.RESEND_BASE_URL,
          requestsPerSecond: config.RESEND_REQUESTS_PER_SECOND,
          timeoutMs: config.RESEND_TIMEOUT_MS,
        })
      : createOutboxTransport();
    transports.set(config, transport);
  }
  return transport;
}
