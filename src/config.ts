import { availableParallelism } from "node:os";
import { z } from "zod";

/**
 * Connections per process when DATABASE_POOL_SIZE is unset: twice the machine's cores, 4 to 20.
 * A pool much larger than the cores only adds PostgreSQL backends competing for the same CPUs
 * and for the same hot rows: on 2 cores, a pool of 10 costs intake about a quarter more
 * PostgreSQL CPU per event than a pool of 4 (see the README's Benchmarks).
 */
export function defaultPoolSize(cores: number = availableParallelism()): number {
  return Math.min(20, Math.max(4, 2 * cores));
}

/**
 * A zone name: letters first, no colon. Raw offsets such as `+01:00` are refused: the runtime
 * reads them as ISO offsets (UTC+1) and PostgreSQL as POSIX ones (UTC-1).
 */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** True when the zone is an IANA zone name this runtime knows. */
export function isKnownZone(zone: string): boolean {
  if (!ZONE_NAME.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Node runs a timer of a longer delay at once (after 1 ms): no setting may ask for one. */
const MAX_TIMER_MS = 2_147_483_647;

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

/**
 * A base URL that paths are appended to: no query or fragment (a link built on
 * `https://host/#x` would open the site's root), scheme and host in lower case as URL writes
 * them, no trailing slash.
 */
const httpUrl = z
  .url({ protocol: /^https?$/ })
  // Not a URL at all is the check above's issue alone.
  .refine(
    (value) => !URL.canParse(value) || !/[?#]/.test(value),
    "must have no query (?) or fragment (#)",
  )
  .transform((value) => {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
  });

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
  .refine(
    (value) => postgresHosts(value) !== undefined,
    "is not a URL the driver can read (percent-encode `/`, `#`, `?`, `@` and `%` in the user and password)",
  );

/**
 * The hosts of a PostgreSQL URL (`host:port`, several for fail-over), read as the `postgres`
 * driver reads them; undefined when the URL cannot be read that way.
 */
export function postgresHosts(value: string): { hosts: string[]; database: string } | undefined {
  const afterScheme = value.slice(value.indexOf("://") + 3).split(/[?/]/)[0] ?? "";
  let hostList: string;
  try {
    // The user info ends at the last `@`, as the driver reads it: a password may hold one.
    hostList = decodeURIComponent(afterScheme.slice(afterScheme.lastIndexOf("@") + 1));
  } catch {
    return undefined;
  }
  const hosts = hostList.split(",").filter(Boolean);
  try {
    // No host (`postgresql:///rapport`): the driver's default (PGHOST, else localhost).
    const url = new URL(hosts.length === 0 ? value : value.replace(hostList, hosts[0]!));
    if (hosts.length > 0 && !url.hostname) return undefined;
    // The driver decodes the user and password too: a lone `%` would stop it at start-up.
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    return { hosts, database: url.pathname.replace(/^\//, "") };
  } catch {
    return undefined;
  }
}

/** `https://host[:port]` or `http://...`: nothing but an origin (an optional `/` after it). */
function isHttpOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === "https:" || url.protocol === "http:") &&
      !url.username &&
      !url.password &&
      url.pathname === "/" &&
      !/[?#]/.test(value)
    );
  } catch {
    return false;
  }
}

const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

/** Every setting rapport reads, with its default. Nothing else reads `process.env`. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./.data"),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(() => defaultPoolSize()),
  PUBLIC_BASE_URL: httpUrl.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  APP_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(MAX_TIMER_MS).default(10_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(MAX_TIMER_MS).default(8_000),
  WORKER_ENABLED: booleanFlag.default(true),
  WORKER_INTERVAL_MS: z.coerce.number().int().min(50).max(MAX_TIMER_MS).default(1000),
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: httpUrl.optional(),
  RESEND_WEBHOOK_SECRET: z.string().startsWith("whsec_").optional(),
  RESEND_REQUESTS_PER_SECOND: z.coerce.number().positive().default(2),
  RESEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  CONNECTWISE_KEY_ORIGINS: commaList
    .refine(
      (origins) => origins.every(isHttpOrigin),
      "must be a comma list of origins such as https://cw.msp.example (scheme, host, port)",
    )
    .default([]),
  OUTBOUND_ALLOW_PRIVATE: booleanFlag.default(false),
  FOLLOWUP_OVERDUE_BUSINESS_HOURS: z.coerce.number().positive().max(1000).default(4),
  BUSINESS_TIMEZONE: z
    .string()
    .refine(isKnownZone, "must be an IANA time zone such as Europe/Berlin")
    .default("UTC"),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  TRUST_PROXY: booleanFlag.default(false),
  SCANNER_BURST_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  // Hours after a goal period ends before its attainment freezes (late touches, score changes).
  GOALS_FINALIZE_AFTER_HOURS: z.coerce.number().int().min(0).max(2160).default(72),
  // When the weekly digest goes out: a weekday and a 24-hour time, such as `mon 08:00`.
  DIGEST_SCHEDULE: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):[0-5]\d$/, "must look like mon 08:00")
    .default("mon 08:00"),
  DIGEST_TIMEZONE: z
    .string()
    .refine(isKnownZone, "must be an IANA time zone such as Europe/Berlin")
    .default("UTC"),
  DIGESTS_ENABLED: booleanFlag.default(true),
  DASHBOARD_SESSION_HOURS: z.coerce.number().int().min(1).max(720).default(12),
});

export type Config = Omit<z.infer<typeof envSchema>, "PUBLIC_BASE_URL"> & {
  PUBLIC_BASE_URL: string;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses the environment once. A bad value throws a ConfigError whose message is one line
 * naming the variable, so start-up can print it and stop.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    // A variable set to blanks (`PORT= ` in an env file) is unset, not 0.
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? "environment");
    const got = present[name];
    // Quoted as JSON: a line break in the value stays on the message's one line.
    const shown =
      got === undefined || /SECRET|KEY|URL/.test(name) ? "" : ` (got ${JSON.stringify(got)})`;
    throw new ConfigError(
      `Invalid configuration: ${name} ${issue?.message ?? "is invalid"}${shown}`,
    );
  }
  const config = parsed.data;
  return {
    ...config,
    PUBLIC_BASE_URL: config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`,
  };
}
