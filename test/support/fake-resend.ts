import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How the fake answers one request. */
export type FakeBehaviour =
  | "ok"
  /** 429 with `Retry-After: 1`, nothing sent. */
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

export interface SentEmail {
  idempotencyKey: string | null;
  id: string;
  to: string;
  subject: string;
  invitationId: string | null;
  kind: string | null;
  headers: Record<string, string>;
  text: string;
}

interface ApiEmail {
  to: string[] | string;
  subject?: string;
  text?: string;
  headers?: Record<string, string>;
  tags?: Array<{ name: string; value: string }>;
}

/**
 * A stand-in for the Resend API on loopback, for the real SDK. Like Resend, it replays the
 * answer of an idempotency key it has seen (sending nothing again) and refuses a key reused
 * with another body; `script` queues behaviours for the next requests (then "ok").
 */
export class FakeResend {
  readonly sent: SentEmail[] = [];
  readonly requests: Array<{
    idempotencyKey: string | null;
    behaviour: FakeBehaviour;
    size: number;
  }> = [];
  private queue: FakeBehaviour[] = [];
  private readonly replies = new Map<string, { body: string; answer: string }>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private nextId = 1;
  url = "";

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

  script(...behaviours: FakeBehaviour[]): void {
    this.queue.push(...behaviours);
  }

  /** Emails really sent to this invitation (of one kind), replays not counted. */
  count(invitationId: string, kind = "survey"): number {
    return this.sent.filter((email) => email.invitationId === invitationId && email.kind === kind)
      .length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // Decoded once: a character split between two chunks must not be mangled.
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.method !== "POST" || req.url !== "/emails/batch") {
      return json(res, 404, { statusCode: 404, name: "not_found", message: "No such route." });
    }
    if (!/^Bearer re_/.test(req.headers.authorization ?? "")) {
      return json(res, 401, { statusCode: 401, name: "missing_api_key", message: "No key." });
    }
    const key = (req.headers["idempotency-key"] as string | undefined) ?? null;
    const behaviour = this.queue.shift() ?? "ok";
    const emails = JSON.parse(body) as ApiEmail[];
    this.requests.push({ idempotencyKey: key, behaviour, size: emails.length });

    if (behaviour === "rate-limit") {
      res.setHeader("retry-after", "1");
      return json(res, 429, {
        statusCode: 429,
        name: "rate_limit_exceeded",
        message: "Too many requests.",
      });
    }
    if (behaviour === "server-error") {
      return json(res, 500, {
        statusCode: 500,
        name: "internal_server_error",
        message: "Unexpected.",
      });
    }
    if (behaviour === "bad-gateway-html") {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html><body>Bad gateway</body></html>");
    }
    if (behaviour === "validation-error") {
      return json(res, 422, {
        statusCode: 422,
        name: "validation_error",
        message: "The `from` field must be a valid email address.",
      });
    }

    const answer = this.process(key, body, emails, req.headers["x-batch-validation"]);
    if (behaviour === "hang") return; // sent, never answered
    if (behaviour === "close") {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body);
  }

  private process(
    key: string | null,
    body: string,
    emails: ApiEmail[],
    validation: string | string[] | undefined,
  ): { status: number; body: string } {
    if (key) {
      const earlier = this.replies.get(key);
      if (earlier && earlier.body !== body) {
        return {
          status: 409,
          body: JSON.stringify({
            statusCode: 409,
            name: "invalid_idempotent_request",
            message: "Same idempotency key used with a different request payload.",
          }),
        };
      }
      if (earlier) return { status: 200, body: earlier.answer };
    }
    const data: Array<{ id: string }> = [];
    const errors: Array<{ index: number; message: string }> = [];
    for (const [index, email] of emails.entries()) {
      const to = Array.isArray(email.to) ? email.to[0]! : email.to;
      if (!/^[^@\s]+@[^@\s]+$/.test(to)) {
        errors.push({ index, message: `Invalid \`to\` field: ${to}` });
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
      });
    }
    const answer = JSON.stringify(validation === "permissive" ? { data, errors } : { data });
    if (key) this.replies.set(key, { body, answer });
    return { status: 200, body: answer };
  }
}

function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}
