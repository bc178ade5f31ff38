import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { checkDestination, guardedLookup } from "./destination.ts";

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
}

const KEEP_RESPONSE_CHARS = 1024;

/**
 * A receiver's text as PostgreSQL can store it: a NUL (which no text column holds) and a lone
 * surrogate become U+FFFD. An attempt that could not be recorded would be sent again, forever.
 */
const storable = (text: string | null) =>
  text === null ? null : text.replaceAll("\u0000", "\ufffd").toWellFormed();

/**
 * POSTs one delivery. The destination is checked again now (DNS answers change), and the
 * connection uses a lookup that refuses private addresses, so the address checked is the
 * address connected to. Redirects are not followed.
 */
export async function postWebhook(input: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<SendResult> {
  let url: URL;
  try {
    url = await checkDestination(input.url, input.allowPrivate);
  } catch (error) {
    return { statusCode: null, error: `refused: ${(error as Error).message}`, responseBody: null };
  }
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      resolve({
        ...result,
        error: storable(result.error),
        responseBody: storable(result.responseBody),
      });
    };
    const request = send(
      url,
      {
        method: "POST",
        headers: {
          ...input.headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(input.body).toString(),
          "user-agent": "rapport-webhooks/1",
        },
        lookup: guardedLookup(input.allowPrivate),
        timeout: input.timeoutMs,
      },
      (response) => {
        const statusCode = response.statusCode ?? 0;
        let kept = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (kept.length < KEEP_RESPONSE_CHARS) kept += chunk;
        });
        response.on("end", () => {
          finish({
            statusCode,
            error: statusCode >= 200 && statusCode < 300 ? null : `HTTP ${statusCode}`,
            responseBody: kept.slice(0, KEEP_RESPONSE_CHARS),
          });
        });
        response.on("error", (error) =>
          finish({ statusCode, error: error.message, responseBody: null }),
        );
      },
    );
    // Whole-request deadline: a receiver that trickles bytes must not hold the worker.
    const deadline = setTimeout(() => {
      request.destroy(new Error(`timed out after ${input.timeoutMs} ms`));
    }, input.timeoutMs);
    deadline.unref();
    request.on("timeout", () =>
      request.destroy(new Error(`timed out after ${input.timeoutMs} ms`)),
    );
    request.on("error", (error) =>
      finish({ statusCode: null, error: error.message, responseBody: null }),
    );
    request.on("close", () => clearTimeout(deadline));
    request.end(input.body);
  });
}
