import { ApiError } from "../http/errors.ts";

const TIMEOUT_MS = 10_000;

/**
 * One GET of a PSA's REST API, the JSON body or undefined for a 404. Every PSA client calls
 * out through here so they share the same rules: only the URL an admin configured on the
 * integration (the payload never chooses it), no redirects (they could lead anywhere), a
 * deadline, and any failure a 502 so the PSA retries the delivery and nothing is recorded.
 */
export async function readPsaApi(
  api: string,
  url: string,
  headers: Record<string, string>,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json", ...headers },
      redirect: "error",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new ApiError("bad_gateway", `The ${api} could not be reached.`, { cause: error });
  }
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new ApiError("bad_gateway", `The ${api} answered ${response.status}.`);
  }
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (body === undefined) throw new ApiError("bad_gateway", `The ${api} answered non-JSON.`);
  return body;
}
