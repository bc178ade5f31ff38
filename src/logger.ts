import pino, { type Logger } from "pino";
import { isoTimestamp } from "./instant.ts";

export type { Logger };

/** Field names whose values are secrets, at a line's top level or one level down. */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  "authorization",
  "Authorization",
  "apiKey",
  "key",
  "secret",
  "token",
  "password",
]);
const CENSOR = "[redacted]";

/**
 * JSON lines on stdout; anything that could carry a secret is redacted (`redactSecrets`). Lines
 * are written asynchronously so a slow log reader never stalls requests; pino flushes on exit.
 */
export function createLogger(
  level: string,
  destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  const logger = pino(
    {
      level,
      base: { service: "rapport" },
      // pino's isoTime, formatted once per second.
      timestamp: () => `,"time":"${isoTimestamp(Date.now())}"`,
      formatters: { log: redactSecrets, bindings: redactSecrets },
    },
    destination,
  );
  // pino applies the bindings formatter to the root's bindings only: children (which inherit
  // this method, grandchildren too) have theirs redacted on the way in.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redactSecrets(bindings), options);
  } as Logger["child"];
  return logger;
}

/**
 * A log line's fields with every secret replaced by `[redacted]`: a field named like a secret
 * (`token`, `secret`, `authorization`...), one inside a nested object, and every value of a
 * `headers` object. The caller's objects are never changed: a field that needs redacting is
 * copied, and a line with none (nearly all of them) is passed on as it is, without allocating.
 * (pino's path-based `redact` re-parses its paths and copies objects on every line; at the
 * request log's rate that was the server's largest allocation per request.)
 */
export function redactSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const name in fields) {
    const value = fields[name];
    let safe = value;
    if (SECRET_FIELD_NAMES.has(name)) safe = CENSOR;
    else if (isPlainObject(value))
      safe = name === "headers" ? censorAll(value) : censorNamed(value);
    if (safe !== value) {
      copy ??= { ...fields };
      copy[name] = safe;
    }
  }
  return copy ?? fields;
}

function censorNamed(value: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const name in value) {
    if (!SECRET_FIELD_NAMES.has(name)) continue;
    copy ??= { ...value };
    copy[name] = CENSOR;
  }
  return copy ?? value;
}

function censorAll(value: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.create(null);
  for (const name in value) copy[name] = CENSOR;
  return copy;
}

/** Objects built from literals or JSON; errors, dates and arrays are left to their serializers. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
