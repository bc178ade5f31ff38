import { z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE } from "./errors.ts";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://rapport.dev/problems/validation-failed" }),
    title: z.string().openapi({ example: "Validation failed" }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string(),
    instance: z.string().openapi({ example: "/v1/events" }),
    requestId: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ example: "touches.0.member.email" }),
          message: z.string(),
          in: z.string().optional().openapi({ example: "body" }),
        }),
      )
      .optional(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details." });

const descriptions = {
  400: "Malformed JSON or invalid fields; `errors` names each field path.",
  401: "Missing, unknown or revoked API key, or a bad webhook signature.",
  403: "The API key lacks the scope this endpoint needs.",
  404: "No such resource.",
  409: "The request conflicts with the current state.",
  413: "The request body exceeds the size limit.",
  415: "The request body is not of a type this endpoint takes (`application/json`).",
  429: "Too many requests; see `Retry-After`.",
  500: "Unexpected failure; the request id identifies it in the logs.",
  502: "The PSA's REST API (or ConnectWise's signing-key URL) failed; retry later.",
  503: "The database is unreachable; retry shortly.",
} as const;

type ErrorStatus = keyof typeof descriptions;
type ProblemResponse = {
  description: string;
  content: Record<string, { schema: typeof ProblemSchema }>;
};

/** Problem responses to spread into a route's `responses`. */
export function errorResponses(...statuses: ErrorStatus[]) {
  const all: ErrorStatus[] = [...new Set<ErrorStatus>([...statuses, 400, 413, 415, 500, 503])];
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: descriptions[status],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
      },
    ]),
  ) as unknown as Record<ErrorStatus, ProblemResponse>;
}

/** The errors of every key-protected route. */
export const authErrors = [401, 403] as const;

export function jsonContent<T>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/**
 * A number in the query string: an empty value (`minSample=`) is the parameter left out, not 0,
 * and the document says number, not number-or-null, with its bounds and default.
 */
export function queryNumber<T extends z.ZodType>(
  schema: T,
  doc: {
    type: "integer" | "number";
    description: string;
    minimum?: number;
    maximum?: number;
    default?: number;
  },
) {
  return z.preprocess((value) => (value === "" ? undefined : value), schema).openapi(doc);
}
