import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers with the next status
 * of a script (the last one repeats), so tests see retries as a receiver would.
 */
export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Statuses to answer in order; the last repeats. */
  answer(...statuses: number[]): void;
  /** The body of every answer from now on; undefined for the default text. */
  replyWith(body: string | undefined): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  let script = [200];
  let reply: string | undefined;
  const server: Server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body,
      });
      const status = script.length > 1 ? script.shift()! : script[0]!;
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(reply ?? (status < 300 ? "ok" : "try again later"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/rapport`,
    received,
    answer: (...statuses) => {
      script = statuses.length ? statuses : [200];
    },
    replyWith: (body) => {
      reply = body;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
