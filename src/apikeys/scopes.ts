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
