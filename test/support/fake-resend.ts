import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How the fake answers one request. */
export type FakeBehaviour =
  | "ok"
  /** 429 with `Retry-After`, nothing sent. */
  | "rate-limit"
  /** 500 problem JSON, nothing sent. */
  | "server-error"
  /** 502 with an HTML body (not JSON), nothing sent. */
  | "bad-gateway-html"
  /** 422 validation_error for the whole batch, nothing sent. */
  | "validation-error"
  /** Sends, then never answers (the client must time out). */
  | "hang"
  /** Sends, then closes the connection without an answer. */
  | "close";

/** One email the fake sent (a replayed idempotent request sends nothing new). */
export interface SentEmail {
  idempotencyKey: string | null;
  id: string;
  to: string;
  subject: string;
  invitationId: string | null;
  kind: string | null;
  headers: Record<string, string>;
  text: string;
  at: number;
}

/** One `POST /emails/batch` as the fake saw it. */
export interface BatchRequest {
  at: number;
  /** The API key it came with: tells apart workers given keys of their own. */
  apiKey: string;
  idempotencyKey: string | null;
  behaviour: FakeBehaviour;
  size: number;
  /** The status answered, or null while unanswered (slow answer, hang, or the client left). */
  status: number | null;
  /** Answered with an earlier request's result: same idempotency key, same body. */
  replayed: boolean;
}

export interface FakeResendOptions {
  /** Sends a batch at once but answers it only after this long (the window for a crash). */
  answerDelayMs?: number;
}

interface ApiEmail {
  to: string[] | string;
  subject?: string;
  text?: string;
  headers?: Record<string, string>;
  tags?: Array<{ name: string; value: string }>;
}

/**
 * A stand-in for the Resend API on loopback, for the real SDK, in the test process or beside
 * separate server and worker processes. Like Resend, a batch is sent (and counted) the moment it
 * arrives, while its answer may come late; a request repeating an idempotency key with the same
 * body answers the original result and sends nothing; the same key with another body is a 409,
 * and so is a key whose first request is still being answered. Failures come from `script`
 * (behaviours for the next requests, then "ok") or from `startOutage` (429, then 500, for a
 * time).
 */
export class FakeResend {
  readonly sent: SentEmail[] = [];
  readonly requests: BatchRequest[] = [];
  url = "";
  private queue: FakeBehaviour[] = [];
  private readonly replies = new Map<string, { bodyHash: string; answer: string }>();
  private readonly inFlight = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private outage: { rateLimitedUntil: number; until: number } | undefined;
  private retryAfterSeconds = 1;
  private nextId = 1;

  constructor(private readonly options: FakeResendOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      // A client that goes away mid-request (a killed worker, a timed-out send, `stop`) leaves
      // nothing to answer: the request was never received, as for the real service.
      this.handle(req, res).catch((error: unknown) => {
        res.destroy();
        if ((error as { code?: string }).code !== "ECONNRESET") throw error;
      });
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  script(...behaviours: FakeBehaviour[]): void {
    this.queue.push(...behaviours);
  }

  /**
   * From now on, for `seconds`: the first half answers 429 with `Retry-After`, the second half
   * 500. Nothing is sent meanwhile.
   */
  startOutage(seconds: number, retryAfterSeconds: number): { from: number; until: number } {
    const from = Date.now();
    this.retryAfterSeconds = retryAfterSeconds;
    this.outage = { rateLimitedUntil: from + (seconds * 1000) / 2, until: from + seconds * 1000 };
    return { from, until: this.outage.until };
  }

  setAnswerDelay(ms: number): void {
    this.options.answerDelayMs = ms;
  }

  /** Emails really sent to this invitation (of one kind), replays not counted. */
  count(invitationId: string, kind = "survey"): number {
    return this.sent.filter((email) => email.invitationId === invitationId && email.kind === kind)
      .length;
  }

  /** Emails sent per recipient. */
  countsByRecipient(kind = "survey"): Map<string, number> {
    const counts = new Map<string, number>();
    for (const email of this.sent) {
      if (email.kind !== kind) continue;
      counts.set(email.to, (counts.get(email.to) ?? 0) + 1);
    }
    return counts;
  }

  /** Batches received whose answer has not gone out. */
  unanswered(): number {
    return this.requests.filter((request) => request.status === null).length;
  }

  answered(): number {
    return this.requests.filter((request) => request.status !== null).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** What answers the next request: an outage first, then the script. */
  private nextBehaviour(): FakeBehaviour {
    const now = Date.now();
    if (this.outage && now < this.outage.until) {
      return now < this.outage.rateLimitedUntil ? "rate-limit" : "server-error";
    }
    return this.queue.shift() ?? "ok";
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // Decoded once: a character split between two chunks must not be mangled.
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.method !== "POST" || req.url !== "/emails/batch") {
      return json(res, 404, error(404, "not_found", "No such route."));
    }
    if (!/^Bearer re_/.test(req.headers.authorization ?? "")) {
      return json(res, 401, error(401, "missing_api_key", "No key."));
    }
    const key = (req.headers["idempotency-key"] as string | undefined) ?? null;
    const behaviour = this.nextBehaviour();
    const emails = JSON.parse(body) as ApiEmail[];
    const request: BatchRequest = {
      at: Date.now(),
      apiKey: (req.headers.authorization ?? "").replace(/^Bearer /, ""),
      idempotencyKey: key,
      behaviour,
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

    if (behaviour === "rate-limit") {
      return answer(429, error(429, "rate_limit_exceeded", "Too many requests."), {
        "retry-after": String(this.retryAfterSeconds),
      });
    }
    if (behaviour === "server-error") {
      return answer(500, error(500, "internal_server_error", "Unexpected."));
    }
    if (behaviour === "bad-gateway-html") {
      request.status = 502;
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html><body>Bad gateway</body></html>");
    }
    if (behaviour === "validation-error") {
      const message = "The `from` field must be a valid email address.";
      return answer(422, error(422, "validation_error", message));
    }

    const bodyHash = createHash("sha256").update(body).digest("hex");
    let reply: string | undefined;
    if (key) {
      if (this.inFlight.has(key)) {
        return answer(409, error(409, "concurrent_idempotent_requests", "Still processing."));
      }
      const earlier = this.replies.get(key);
      if (earlier && earlier.bodyHash !== bodyHash) {
        const message = "Same idempotency key used with a different request payload.";
        return answer(409, error(409, "invalid_idempotent_request", message));
      }
      if (earlier) {
        request.replayed = true;
        reply = earlier.answer;
      }
    }
    const fresh = reply === undefined;
    if (reply === undefined) {
      reply = this.send(key, emails, req.headers["x-batch-validation"]);
      if (key) this.replies.set(key, { bodyHash, answer: reply });
    }
    // A scripted failure after sending hits a replay too: the client never learns the result.
    if (behaviour === "hang") return;
    if (behaviour === "close") {
      req.socket.destroy();
      return;
    }
    const delay = fresh ? (this.options.answerDelayMs ?? 0) : 0;
    if (delay > 0) {
      if (key) this.inFlight.add(key);
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (key) this.inFlight.delete(key);
    }
    answer(200, reply);
  }

  /** Sends the batch's valid emails; the answer Resend gives for it. */
  private send(
    key: string | null,
    emails: ApiEmail[],
    validation: string | string[] | undefined,
  ): string {
    const data: Array<{ id: string }> = [];
    const errors: Array<{ index: number; message: string }> = [];
    for (const [index, email] of emails.entries()) {
      const to = Array.isArray(email.to) ? email.to[0]! : email.to;
      if (!/^[^@\s]+@[^@\s]+$/.test(to)) {
        errors.push({ index, message: `Invalid \`to\` field: ${to}` });
        continue;
      }
      // A recipient the provider refuses for its own reasons (a suppression list, say).
      if (to.includes("+refused@")) {
        errors.push({ index, message: `The recipient ${to} is suppressed` });
        continue;
      }
      const id = `fake-${this.nextId++}`;
      data.push({ id });
      const tag = (name: string) => email.tags?.find((t) => t.name === name)?.value ?? null;
      this.sent.push({
        idempotencyKey: key,
        id,
        to,
        subject: email.subject ?? "",
        invitationId: tag("invitation_id"),
        kind: tag("email_kind"),
        headers: email.headers ?? {},
        text: email.text ?? "",
        at: Date.now(),
      });
    }
    return JSON.stringify(validation === "permissive" ? { data, errors } : { data });
  }
}

function error(statusCode: number, name: string, message: string): string {
  return JSON.stringify({ statusCode, name, message });
}

function json(res: ServerResponse, status: number, value: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(value);
}
