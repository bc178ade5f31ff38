import type { ZodError } from "zod";
import { ApiError, type FieldError } from "./errors.ts";

export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    // An unknown key is reported at its parent: name each key as its own field instead.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [...base, key].join("."),
        message: "is not a known field",
      }));
    }
    return [{ path: base.join("."), message: issue.message }];
  });
}

/** The OpenAPI routes' validation hook: every failure becomes a 400 naming its fields. */
export function validationHook(result: { success: boolean; error?: unknown; target?: string }) {
  if (result.success) return;
  const errors = fieldErrors(result.error as ZodError);
  const where =
    result.target === "json"
      ? "body"
      : result.target === "param"
        ? "path"
        : (result.target ?? "request");
  const first = errors[0];
  throw new ApiError(
    "validation_failed",
    first ? `Invalid ${where}: ${first.path || "(root)"} ${first.message}` : `Invalid ${where}.`,
    { errors: errors.map((e) => ({ ...e, in: where })) },
  );
}
