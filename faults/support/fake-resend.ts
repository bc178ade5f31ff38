import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One email the fake accepted (a replayed idempotent request accepts nothing new). */
export interface AcceptedEmail {
  to: string;
  idempotencyKey: string | null;
  invitationId: string | null;
  kind: string | null;
  text: string;
  at: number;
}

/** One `POST /emails/batch` as the fake saw it. */
export interface BatchRequest {
  at: number;
  idempotencyKey: string | null;
  size: number;
  /** The status answered, or null while unanswered (slow answer, or the client went away). */
  status: number | null;
  replayed: boolean;
}

export interface FakeResendOptions {
  /** Accepts a batch at once but answers it only after this long (the window for a crash). */
  answerDelayMs?: number;
}

interface StoredReply {
  bodyHash: string;
  answer: string;
}

interface ApiEmail {
  to: string[] | string;
  text?: string;
  tags?: Array<{ name: string; value: string }>;
}

/**
 * A loopback stand-in for Resend's batch endpoint that behaves like Resend where it matters for
 * exactly-once delivery: a batch is accepted (and counted) the moment it arrives, its answer may
 * come late; a request repeating an idempotency key with the same body answers the original
 * result and sends nothing; the same key with another body is a 409; a key still in flight is a
 * 409 `concurrent_idempotent_requests`. An outage answers 429 (with Retry-After), then 500.
 */
export class FaultResend {
  readonly emails: AcceptedEmail[] = [];
  readonly requests: BatchRequest[] = [];
  url = "";
  private readonly replies = new Map<string, StoredReply>();
  private readonly inFlight = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private outage: { from: number; rateLimitedUntil: number; until: number } | undefined;
  private retryAfterSeconds = 5;
  private nextId = 1;

  constructor(private readonly options: FakeResendOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * From now on, for `seconds`: the first half answers 429 with `Retry-After`, the second half
   * 500. Nothing is accepted meanwhile.
   */
  startOutage(seconds: number, retryAfterSeconds: number): { from: number; until: number } {
    const from = Date.now();
    this.retryAfterSeconds = retryAfterSeconds;
    this.outage = {
      from,
      rateLimitedUntil: from + (seconds * 1000) / 2,
      until: from + seconds * 1000,
    };
    return { from, until: this.outage.until };
  }

  setAnswerDelay(ms: number): void {
    this.options.answerDelayMs = ms;
  }

  /** Batches received and accepted whose answer has not gone out yet. */
  unanswered(): number {
    return this.requests.filter((request) => request.status === null).length;
  }

  answered(): number {
    return this.requests.filter((request) => request.status !== null).length;
  }

  /** Accepted emails per recipient. */
  countsByRecipient(kind = "survey"): Map<string, number> {
    const counts = new Map<string, number>();
    for (const email of this.emails) {
      if (email.kind !== kind) continue;
      counts.set(email.to, (counts.get(email.to) ?? 0) + 1);
    }
    return counts;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.method !== "POST" || req.url !== "/emails/batch") {
      return json(res, 404, { statusCode: 404, name: "not_found", message: "No such route." });
    }
    const key = (req.headers["idempotency-key"] as string | undefined) ?? null;
    const emails = JSON.parse(body) as ApiEmail[];
    const request: BatchRequest = {
      at: Date.now(),
      idempotencyKey: key,
      size: emails.length,
      status: null,
      replayed: false,
    };
    this.requests.push(request);
    const answer = (status: number, value: string, headers: Record<string, string> = {}) => {
      request.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(value);
    };

    const now = Date.now();
    if (this.outage && now < this.outage.until) {
      if (now < this.outage.rateLimitedUntil) {
        return answer(429, error(429, "rate_limit_exceeded", "Too many requests."), {
          "retry-after": String(this.retryAfterSeconds),
        });
      }
      return answer(500, error(500, "internal_server_error", "Unexpected."));
    }

    const bodyHash = createHash("sha256").update(body).digest("hex");
    if (key) {
      if (this.inFlight.has(key)) {
        return answer(409, error(409, "concurrent_idempotent_requests", "Still processing."));
      }
      const earlier = this.replies.get(key);
      if (earlier && earlier.bodyHash !== bodyHash) {
        return answer(409, error(409, "invalid_idempotent_request", "Key reused, other body."));
      }
      if (earlier) {
        request.replayed = true;
        return answer(200, earlier.answer);
      }
    }

    const reply = JSON.stringify({ data: emails.map((email) => this.accept(email, key)) });
    if (key) this.replies.set(key, { bodyHash, answer: reply });
    const delay = this.options.answerDelayMs ?? 0;
    if (delay > 0) {
      if (key) this.inFlight.add(key);
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (key) this.inFlight.delete(key);
    }
    answer(200, reply);
  }

  private accept(email: ApiEmail, key: string | null): { id: string } {
    const tag = (name: string) => email.tags?.find((t) => t.name === name)?.value ?? null;
    this.emails.push({
      to: Array.isArray(email.to) ? email.to[0]! : email.to,
      idempotencyKey: key,
      invitationId: tag("invitation_id"),
      kind: tag("email_kind"),
      text: email.text ?? "",
      at: Date.now(),
    });
    return { id: `fault-${this.nextId++}` };
  }
}

function error(statusCode: number, name: string, message: string): string {
  return JSON.stringify({ statusCode, name, message });
}

function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}
