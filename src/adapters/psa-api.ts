import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { ApiError } from "../http/errors.ts";
import { checkDestination, DestinationRefused, guardedLookup } from "../webhooks/destination.ts";

const TIMEOUT_MS = 10_000;
/** A page of 1,000 ConnectWise time entries is well under this. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * One GET of a PSA's REST API, the JSON body or undefined for a 404. Every PSA client calls
 * out through here so they share the same rules: only the URL an admin configured on the
 * integration (the payload never chooses it), the outbound guard webhooks have (https, and no
 * private or local address unless OUTBOUND_ALLOW_PRIVATE; the address connected to is the one
 * checked), no redirects (they could lead anywhere), a deadline, and any failure a 502 so the
 * PSA retries the delivery and nothing is recorded.
 */
export async function readPsaApi(
  api: string,
  url: string,
  headers: Record<string, string>,
  allowPrivate: boolean,
): Promise<unknown> {
  let target: URL;
  try {
    target = await checkDestination(url, allowPrivate);
  } catch (error) {
    if (!(error instanceof DestinationRefused)) throw error;
    throw new ApiError("bad_gateway", `The ${api} was not called: its URL ${error.message}.`);
  }
  let status: number;
  let text: string;
  try {
    ({ status, text } = await get(
      target,
      { accept: "application/json", ...headers },
      allowPrivate,
    ));
  } catch (error) {
    throw new ApiError("bad_gateway", `The ${api} could not be reached.`, { cause: error });
  }
  if (status === 404) return undefined;
  if (status < 200 || status >= 300) {
    throw new ApiError("bad_gateway", `The ${api} answered ${status}.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError("bad_gateway", `The ${api} answered non-JSON.`);
  }
}

function get(
  url: URL,
  headers: Record<string, string>,
  allowPrivate: boolean,
): Promise<{ status: number; text: string }> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      { method: "GET", headers, lookup: guardedLookup(allowPrivate), timeout: TIMEOUT_MS },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            request.destroy(new Error(`answer over ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    // Whole-request deadline: an API that trickles bytes must not hold the PSA's delivery.
    const deadline = setTimeout(
      () => request.destroy(new Error(`timed out after ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
    deadline.unref();
    request.on("close", () => clearTimeout(deadline));
    request.on("timeout", () => request.destroy(new Error(`timed out after ${TIMEOUT_MS} ms`)));
    request.on("error", reject);
    request.end();
  });
}
