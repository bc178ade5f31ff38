import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLogger, redactSecrets, SECRET_FIELD_NAMES } from "../src/logger.ts";

/** A logger whose lines are parsed back into objects. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger("info", {
    write: (line: string) => void lines.push(JSON.parse(line)),
  });
  return { logger, lines };
}

const SECRET_NAMES = [...SECRET_FIELD_NAMES];

describe("log lines", () => {
  it("redact secret fields at the top level, one level down and in headers", () => {
    const { logger, lines } = capture();
    const fields = {
      token: "tok-1",
      status: 200,
      integration: { name: "acme", secret: "s3cr3t", authorization: "Basic abc" },
      headers: { "x-hook-signature": "sha1=abc", accept: "*/*" },
      list: ["kept"],
    };
    logger.info(fields, "request");
    expect(lines[0]).toMatchObject({
      msg: "request",
      token: "[redacted]",
      status: 200,
      integration: { name: "acme", secret: "[redacted]", authorization: "[redacted]" },
      headers: { "x-hook-signature": "[redacted]", accept: "[redacted]" },
      list: ["kept"],
    });
    // The caller's objects are left as they were.
    expect(fields.token).toBe("tok-1");
    expect(fields.integration.secret).toBe("s3cr3t");
    expect(fields.headers.accept).toBe("*/*");
  });

  it("redact a child logger's bindings and keep errors whole", () => {
    const { logger, lines } = capture();
    logger.child({ kind: "job", apiKey: "rk_live" }).error({ err: new Error("boom") }, "failed");
    expect(lines[0]).toMatchObject({ kind: "job", apiKey: "[redacted]", msg: "failed" });
    expect(lines[0]!.err).toMatchObject({ type: "Error", message: "boom" });
  });

  it("pass a line without secrets on untouched, as the same object", () => {
    const fields = {
      requestId: "r1",
      method: "GET",
      path: "/r/~/3",
      status: 200,
      nested: { a: 1 },
    };
    expect(redactSecrets(fields)).toBe(fields);
  });

  it("never carry a secret field's value, whatever the line", () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    const name = fc.oneof(fc.constantFrom(...SECRET_NAMES), fc.string({ maxLength: 8 }));
    const nested = fc.dictionary(name, value, { maxKeys: 4 });
    const line = fc.dictionary(fc.oneof(name, fc.constant("headers")), fc.oneof(value, nested), {
      maxKeys: 6,
    });
    fc.assert(
      fc.property(line, (fields) => {
        const safe = redactSecrets(fields);
        for (const [key, v] of Object.entries(safe)) {
          if (SECRET_NAMES.includes(key)) expect(v).toBe("[redacted]");
          if (v === null || typeof v !== "object") continue;
          for (const [inner, w] of Object.entries(v)) {
            if (key === "headers" || SECRET_NAMES.includes(inner)) expect(w).toBe("[redacted]");
            else expect(w).toBe((fields[key] as Record<string, unknown>)[inner]);
          }
        }
        expect(Object.keys(safe)).toEqual(Object.keys(fields));
      }),
      { numRuns: 300 },
    );
  });
});
