import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, problemOf, type TestApp } from "./support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ REQUEST_TIMEOUT_MS: "300" });
});
afterAll(() => t.close());

describe("a request that cannot finish", () => {
  it("is answered 503 problem+json with Retry-After instead of hanging", async () => {
    const admin = await t.key("admin");
    // A body that starts and never ends keeps the handler waiting.
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name": "slow'));
      },
    });
    const response = await t.app.request("/v1/api-keys", {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: stalled,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("2");
    expect((await problemOf(response)).title).toBe("Service unavailable");
  });
});
