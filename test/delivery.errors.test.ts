import { describe, expect, it } from "vitest";
import { backoffMs, parseRetryAfter } from "../src/delivery/backoff.ts";
import { interpretResponse } from "../src/delivery/resend-transport.ts";
import { signatureProblem, signDelivery } from "../src/delivery/webhook-signature.ts";

const now = new Date("2026-11-18T17:00:00Z");
const error = (value: unknown, headers: Record<string, string> | null = {}) => ({
  data: null,
  error: value,
  headers,
});

describe("every shape the Resend SDK answers becomes a decision", () => {
  it("a 422 or 400 is a permanent rejection", () => {
    expect(
      interpretResponse(error({ statusCode: 422, name: "validation_error", message: "x" }), 1, now)
        .kind,
    ).toBe("rejected");
    expect(
      interpretResponse(error({ statusCode: 400, name: "invalid_parameter", message: "x" }), 1, now)
        .kind,
    ).toBe("rejected");
  });

  it("a 429 is a rate-limited retry after Retry-After", () => {
    expect(
      interpretResponse(
        error(
          { statusCode: 429, name: "rate_limit_exceeded", message: "slow" },
          { "retry-after": "7" },
        ),
        1,
        now,
      ),
    ).toMatchObject({ kind: "retry", rateLimited: true, retryAfterMs: 7000 });
  });

  it("an error without a status is classified by its name, or retried when unknown", () => {
    expect(interpretResponse(error({ name: "validation_error" }), 1, now).kind).toBe("rejected");
    expect(interpretResponse(error({ name: "rate_limit_exceeded" }), 1, now)).toMatchObject({
      kind: "retry",
      rateLimited: true,
    });
    expect(interpretResponse(error("a bare string"), 1, now).kind).toBe("retry");
    expect(interpretResponse(error({ weird: true }), 1, now).kind).toBe("retry");
  });

  it("a network failure or timeout (statusCode null) is retried", () => {
    const outcome = interpretResponse(
      error(
        { statusCode: null, name: "application_error", message: "Unable to fetch data." },
        null,
      ),
      2,
      now,
    );
    expect(outcome).toMatchObject({ kind: "retry" });
  });

  it("a success without ids, or nothing at all, is retried under the same key", () => {
    expect(interpretResponse({ data: null, error: null, headers: null }, 1, now).kind).toBe(
      "retry",
    );
    expect(interpretResponse(undefined, 1, now).kind).toBe("retry");
  });

  it("permissive results map ids to the accepted emails and errors to the rejected ones", () => {
    const outcome = interpretResponse(
      {
        data: { data: [{ id: "a" }, { id: "c" }], errors: [{ index: 1, message: "bad to" }] },
        error: null,
        headers: {},
      },
      3,
      now,
    );
    expect(outcome).toEqual({
      kind: "accepted",
      results: [{ providerMessageId: "a" }, { error: "bad to" }, { providerMessageId: "c" }],
    });
  });

  it("a key reused with another body was sent by the earlier attempt: accepted, ids unknown", () => {
    const outcome = interpretResponse(
      error({ statusCode: 409, name: "invalid_idempotent_request", message: "x" }),
      2,
      now,
    );
    expect(outcome).toEqual({
      kind: "accepted",
      results: [{ providerMessageId: null }, { providerMessageId: null }],
      note: "accepted by an earlier attempt under this key",
    });
  });
});

describe("backoff and Retry-After", () => {
  it("doubles with jitter and stays under an hour", () => {
    expect(backoffMs(1, () => 0)).toBe(15_000);
    expect(backoffMs(1, () => 1)).toBe(30_000);
    expect(backoffMs(3, () => 0)).toBe(60_000);
    expect(backoffMs(20, () => 1)).toBe(3_600_000);
  });

  it("reads seconds and HTTP dates, and ignores nonsense", () => {
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("Wed, 18 Nov 2026 17:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("webhook signatures", () => {
  const secret = `whsec_${Buffer.from("a".repeat(24)).toString("base64")}`;
  const ts = String(now.getTime() / 1000);
  it("accepts the signature of the exact body and refuses any other", () => {
    const header = signDelivery(secret, "msg", ts, "{}");
    const delivery = { id: "msg", timestamp: ts, signature: header, body: "{}" };
    expect(signatureProblem(secret, delivery, now)).toBeNull();
    expect(signatureProblem(secret, { ...delivery, body: "{ }" }, now)).not.toBeNull();
    expect(signatureProblem(secret, { ...delivery, id: "other" }, now)).not.toBeNull();
    expect(signatureProblem(secret, { ...delivery, signature: "v1,AAAA" }, now)).not.toBeNull();
    expect(
      signatureProblem(secret, { ...delivery, signature: header.replace("v1,", "v2,") }, now),
    ).not.toBeNull();
  });
});
