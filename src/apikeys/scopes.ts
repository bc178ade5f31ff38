import { z } from "@hono/zod-openapi";

export const scopes = [
  "events:write",
  "directory:write",
  "surveys:write",
  "responses:read",
  "metrics:read",
  "admin",
] as const;

export type Scope = (typeof scopes)[number];

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value);
}

/** `admin` implies every scope. */
export function grants(held: readonly string[], needed: Scope): boolean {
  return held.includes("admin") || held.includes(needed);
}

/**
 * A key's name, from the API or the CLI: one line (`keys list` prints a line per key, its
 * fields separated by tabs), 1 to 200 characters once trimmed.
 */
export const keyName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^\P{Cc}*$/u, "must not hold control characters (tabs, line breaks)");
