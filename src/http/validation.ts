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

/** Text PostgreSQL cannot store: an unpaired surrogate, or a NUL character. */
const isUnstorable = (text: string) => !text.isWellFormed() || text.includes("\u0000");

/**
 * Where a value holds a string no text column or JSON document in PostgreSQL can store (an
 * unpaired surrogate or a NUL character, both of which JSON can carry as `\ud800`, `\u0000`),
 * if it does.
 */
export function unstorablePath(value: unknown): string[] | undefined {
  // One path, grown and shrunk as the walk goes: every request body passes through here.
  const path: string[] = [];
  const holdsUnstorable = (item: unknown): boolean => {
    if (typeof item === "string") return isUnstorable(item);
    if (item === null || typeof item !== "object") return false;
    for (const key of Object.keys(item)) {
      if (isUnstorable(key)) {
        path.push(key.toWellFormed().replaceAll("\u0000", "\ufffd"));
        return true;
      }
      path.push(key);
      if (holdsUnstorable((item as Record<string, unknown>)[key])) return true;
      path.pop();
    }
    return false;
  };
  return holdsUnstorable(value) ? path : undefined;
}

/**
 * The OpenAPI routes' validation hook: every failure becomes a 400 naming its fields, and so does
 * a valid request holding a string PostgreSQL cannot store.
 */
export function validationHook(result: {
  success: boolean;
  data?: unknown;
  error?: unknown;
  target?: string;
}) {
  const where =
    result.target === "json"
      ? "body"
      : result.target === "param"
        ? "path"
        : (result.target ?? "request");
  if (result.success) {
    const path = unstorablePath(result.data)?.join(".");
    if (path === undefined) return;
    const message = "is not storable text (it holds an unpaired surrogate or a NUL character)";
    throw new ApiError("validation_failed", `Invalid ${where}: ${path || "(root)"} ${message}`, {
      errors: [{ path, message, in: where }],
    });
  }
  const errors = fieldErrors(result.error as ZodError);
  const first = errors[0];
  throw new ApiError(
    "validation_failed",
    first ? `Invalid ${where}: ${first.path || "(root)"} ${first.message}` : `Invalid ${where}.`,
    { errors: errors.map((e) => ({ ...e, in: where })) },
  );
}
