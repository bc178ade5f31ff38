import { sql } from "drizzle-orm";
import fc from "fast-check";
import { expect } from "vitest";
import { type Db, queryRows } from "../../src/db/client.ts";

/**
 * Property-based fuzzing support: run settings, hostile-input arbitraries, and the checks every
 * answer to bad input must pass. `FUZZ_RUNS` sets the runs per property (the default keeps the
 * everyday test run quick), `FUZZ_SEED` replays a failing run.
 */

const DEFAULT_SEED = 20261118;

export function fuzzRuns(everyday: number): number {
  const asked = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : everyday;
}

export function fuzzSeed(): number {
  const asked = Number(process.env.FUZZ_SEED);
  return Number.isInteger(asked) ? asked : DEFAULT_SEED;
}

/** fast-check parameters for one property; the seed is printed so any failure can be replayed. */
export function fuzzParams(name: string, everydayRuns: number): fc.Parameters<unknown> {
  const seed = fuzzSeed();
  const numRuns = fuzzRuns(everydayRuns);
  console.info(`[fuzz] ${name}: ${numRuns} runs, FUZZ_SEED=${seed}`);
  return { seed, numRuns, endOnFailure: true };
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const edgeNumbers = [
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  -(2 ** 31) - 1,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e308,
  -1e308,
  5e-324,
  123456789012345680000,
];

const nastyStrings = [
  "",
  " ",
  "\u0000",
  "nul\u0000byte",
  "\ud800",
  "\udfff lone surrogate",
  "\u202e\u0645\u0631\u062d\u0628\u0627",
  "👩‍👩‍👧‍👦🏳️‍🌈",
  "Z̷̢̛a̸l̵g̶o̷",
  "../../../../etc/passwd",
  "..%2f..%2f..%2fetc%2fpasswd",
  "<script>alert(1)</script>",
  "'; drop table events; --",
  "$" + "{7*7}{{7*7}}",
  "__proto__",
  "constructor",
  "1e309",
  "NaN",
  "-0",
  "2026-02-30T25:61:61Z",
  "9999-12-31T23:59:59Z",
  "0000-01-01T00:00:00Z",
  "not-an-email@",
  "a@b",
  "http://169.254.169.254/latest/meta-data/",
  "file:///etc/passwd",
  "%00%ff%fe",
];

const hugeString = fc.constantFrom(
  "x".repeat(5_000),
  "é".repeat(70_000),
  "\u0000".repeat(1_000),
  "🙂".repeat(20_000),
);

/** Deeply nested arrays or objects, which recursive code might choke on. */
const deepNesting = fc
  .tuple(fc.integer({ min: 50, max: 400 }), fc.boolean())
  .map(([depth, arrays]) => {
    let value: unknown = "bottom";
    for (let i = 0; i < depth; i += 1) value = arrays ? [value] : { a: value };
    return value;
  });

/** A JSON value chosen to break code that trusts its input. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { withCrossShrink: true },
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(...edgeNumbers),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...nastyStrings),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  hugeString,
  fc.constant([]),
  fc.constant({}),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true}}') as unknown),
  deepNesting,
  fc.jsonValue({ maxDepth: 3 }),
);

// ---------------------------------------------------------------------------------------------
// Structural mutations of a valid body

type Path = Array<string | number>;

function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pathsOf(item, [...prefix, i], out);
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  }
  return out;
}

type Mutation =
  | { op: "replace"; at: number; value: unknown }
  | { op: "delete"; at: number }
  | { op: "addKey"; at: number; key: string; value: unknown }
  | { op: "wrap"; at: number };

const strangeKeys = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "", "toString", "hasOwnProperty"),
  fc.string({ maxLength: 12 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("addKey" as const),
    at: fc.nat(),
    key: strangeKeys,
    value: hostileValue,
  }),
  fc.record({ op: fc.constant("wrap" as const), at: fc.nat() }),
);

function applyMutation(root: unknown, change: Mutation): unknown {
  const paths = pathsOf(root);
  const path = paths[change.at % paths.length]!;
  const copy = structuredClone(root);
  if (path.length === 0) {
    if (change.op === "replace") return change.value;
    if (change.op === "delete") return undefined;
    if (change.op === "wrap") return [copy];
  }
  const parentPath = change.op === "addKey" ? path : path.slice(0, -1);
  let target: unknown = copy;
  for (const key of parentPath) target = (target as Record<string | number, unknown>)[key];
  const last = path.at(-1)!;
  const parent = target as Record<string | number, unknown>;
  if (change.op === "addKey") {
    if (target && typeof target === "object" && !Array.isArray(target)) {
      // defineProperty: an own `__proto__` key, as JSON.parse would produce, not a prototype swap.
      Object.defineProperty(target, change.key, {
        value: change.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  if (Array.isArray(parent) && change.op === "delete") parent.splice(Number(last), 1);
  else if (change.op === "delete") delete parent[last];
  else if (change.op === "replace") parent[last] = change.value;
  else parent[last] = [parent[last]];
  return copy;
}

/** The valid body with one to three fields removed, retyped, wrapped or joined by strangers. */
export function mutated(valid: unknown): fc.Arbitrary<unknown> {
  return fc
    .array(mutation, { minLength: 1, maxLength: 3 })
    .map((changes) => changes.reduce((body, change) => applyMutation(body, change), valid));
}

/** A raw request body: mutated JSON, any JSON, broken JSON text, or random bytes. */
export function hostileBody(valid: unknown): fc.Arbitrary<string | Uint8Array> {
  const asText = (value: unknown) => JSON.stringify(value) ?? "";
  return fc.oneof(
    { weight: 6, arbitrary: mutated(valid).map(asText) },
    { weight: 1, arbitrary: fc.jsonValue().map(asText) },
    { weight: 1, arbitrary: fc.json() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "",
        "{",
        "[1,",
        "null",
        '"just a string"',
        "{'single': 'quotes'}",
        '{"a":1,"a":2}',
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
        "\ufeff{}",
        `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(asText(valid).length), fc.string({ maxLength: 8 }))
        .map(([cut, tail]) => asText(valid).slice(0, cut) + tail),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  );
}

// ---------------------------------------------------------------------------------------------
// Headers and tokens

export const contentTypes = fc.oneof(
  fc.constantFrom(
    undefined,
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "APPLICATION/JSON",
    "application/problem+json",
    "application/vnd.api+json",
    "text/plain",
    "text/html",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=----x",
    "multipart/form-data",
    "application/octet-stream",
    "application/json;;;charset",
    "",
    "*/*",
  ),
  fc.string({ maxLength: 40 }).filter(isHeaderValue),
);

/** Authorization values a real key never matches. */
export const bogusAuthorization = fc.oneof(
  fc.constantFrom(
    undefined,
    "",
    "Bearer",
    "Bearer ",
    "Bearer  ",
    "bearer rk_live_0000",
    "Bearer rk_0000000000000000000000000000000000",
    "Basic Zm9vOmJhcg==",
    "Basic",
    "Basic !!!notbase64",
    "Token abc",
    "Bearer a b c",
    `Bearer ${"k".repeat(10_000)}`,
    "Bearer ../../etc/passwd",
    "Bearer '; drop table api_keys; --",
    "Bearer %00",
  ),
  fc.string({ maxLength: 60 }).filter(isHeaderValue),
  fc
    .string({ maxLength: 60 })
    .filter(isHeaderValue)
    .map((s) => `Bearer ${s}`),
);

/** A value a Headers object accepts: no control characters, no code points above 0xFF. */
export function isHeaderValue(value: string): boolean {
  return /^[\x20-\x7e\x80-\xff]*$/.test(value) && value.trim() === value;
}

export const signatureValue = fc.oneof(
  fc.constantFrom(
    undefined,
    "",
    "sha1=",
    "sha1=AAAA",
    "sha256=AAAA",
    "v1,AAAA",
    "v1,",
    "===",
    "A".repeat(5_000),
  ),
  fc.base64String({ maxLength: 60 }),
  fc.string({ maxLength: 60 }).filter(isHeaderValue),
);

/** Path segments for token and id routes: random, traversal, encoded bytes, over-long. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "..",
    "%2e%2e",
    "..%2f..%2fetc%2fpasswd",
    "%00",
    "%ff%fe",
    "%",
    "%zz",
    "%C0%AF",
    "%E2%80%AE",
    "%F0%9F%99%82",
    "null",
    "undefined",
    "0",
    "-1",
    "1e9999",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "A".repeat(10_000),
    "%41".repeat(3_000),
    "_-_-",
    "<script>",
    "'%20or%201=1--",
  ),
  fc.uuid(),
  fc.base64String({ minLength: 16, maxLength: 64 }).map((s) => s.replaceAll("/", "_")),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }).map(encodeURIComponent),
  fc
    .uint8Array({ minLength: 1, maxLength: 40 })
    .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,120}$/),
);

/** A real token with one character changed, some cut off, or something added. */
export function nearToken(token: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .tuple(fc.nat(token.length - 1), fc.constantFrom(..."AZaz09-_"))
      .map(([at, char]) => token.slice(0, at) + char + token.slice(at + 1)),
    fc.nat(token.length - 1).map((cut) => token.slice(0, cut)),
    hostileSegment.map((extra) => token + extra),
    fc.constantFrom(token.toUpperCase(), token.toLowerCase(), `${token}/`, `${token}%2f..`),
  );
}

// ---------------------------------------------------------------------------------------------
// Requests and the properties of their answers

export interface FuzzRequest {
  method: string;
  path: string;
  headers?: Record<string, string | undefined>;
  body?: string | Uint8Array;
}

/** Sends a request in process; headers a Headers object refuses are dropped, as a proxy would. */
export function send(
  app: { request(input: string, init: RequestInit): Response | Promise<Response> },
  request: FuzzRequest,
): Promise<Response> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) continue;
    try {
      headers.set(name, value);
    } catch {
      // Not a legal header value: a real client could not send it either.
    }
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return Promise.resolve(
    app.request(request.path, {
      method: request.method,
      headers,
      body: hasBody ? (request.body as BodyInit | undefined) : undefined,
    }),
  );
}

export type TableCounts = Record<string, number>;

/**
 * Row counts of every table of the schema in one query, so a refused request that wrote to any
 * of them is seen.
 */
export async function tableCounts(db: Db): Promise<TableCounts> {
  const tables = await queryRows<{ name: string }>(
    db,
    sql`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`,
  );
  const columns = tables
    .map(({ name }) => `(select count(*) from "${name}")::int as "${name}"`)
    .join(", ");
  const [row] = await queryRows<TableCounts>(db, sql.raw(`select ${columns}`));
  return row!;
}

/**
 * The answer of an API route: never 5xx; a rejection is problem+json with its status, title and
 * detail, and a validation failure names each field.
 */
export async function expectApiAnswer(response: Response, request: FuzzRequest): Promise<void> {
  const where = `${request.method} ${request.path.slice(0, 120)}`;
  expect(response.status, `${where} answered 5xx`).toBeLessThan(500);
  if (response.status < 400) {
    await response.body?.cancel();
    return;
  }
  const type = response.headers.get("content-type") ?? "";
  expect(type, `${where} rejection content type`).toMatch(/^application\/problem\+json/);
  // A HEAD answer has the headers of the problem without its body.
  if (request.method === "HEAD") return;
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem.status, `${where} problem status`).toBe(response.status);
  expect(typeof problem.title, `${where} problem title`).toBe("string");
  expect(typeof problem.detail, `${where} problem detail`).toBe("string");
  if (typeof problem.type === "string" && problem.type.endsWith("/validation-failed")) {
    const errors = problem.errors as Array<{ path?: unknown; message?: unknown }> | undefined;
    expect(errors?.length, `${where} validation errors`).toBeGreaterThan(0);
    for (const error of errors ?? []) {
      expect(typeof error.path, `${where} field path`).toBe("string");
      expect(typeof error.message, `${where} field message`).toBe("string");
    }
  }
}

/** The answer of a page for people: never 5xx, and every rejection is an HTML page. */
export async function expectPageAnswer(response: Response, request: FuzzRequest): Promise<void> {
  const where = `${request.method} ${request.path.slice(0, 120)}`;
  expect(response.status, `${where} answered 5xx`).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.headers.get("content-type") ?? "", `${where} rejection type`).toMatch(
      /^text\/html/,
    );
    const text = await response.text();
    // A HEAD answer has the headers of the page without its body.
    if (request.method !== "HEAD") {
      expect(text.slice(0, 200).toLowerCase(), `${where} rejection body`).toContain(
        "<!doctype html",
      );
    }
  } else {
    await response.body?.cancel();
  }
}

/** Nothing was written by a rejected request; `deadLetters` rows are allowed where noted. */
export function expectUnchanged(
  before: TableCounts,
  after: TableCounts,
  request: FuzzRequest,
  allowed: TableCounts = {},
): void {
  const expected = { ...before };
  for (const [table, extra] of Object.entries(allowed)) {
    expected[table] = (expected[table] ?? 0) + extra;
  }
  expect(after, `${request.method} ${request.path.slice(0, 120)} wrote rows`).toEqual(expected);
}

/** Unhandled rejections during a fuzz run: collected so a test can insist there were none. */
export function watchUnhandledRejections(): { reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => reasons.push(reason);
  process.on("unhandledRejection", listener);
  return { reasons, stop: () => process.off("unhandledRejection", listener) };
}
