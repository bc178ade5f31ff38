// The quick variants of the fault scenarios (faults/): real server and worker processes on the
// PostgreSQL server named by TEST_DATABASE_URL; skipped on the embedded database.
import { describe, expect, it } from "vitest";

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!onPostgres)("fault scenarios, quick variants", () => {
  it("the same PSA delivery three times at once across two servers records one of everything", async () => {
    const { scenario } = await import("../faults/psa-triple.ts");
    const result = await scenario({ rounds: 1 });
    expect(result.details).not.toContain("FAIL");
    expect(result.pass).toBe(true);
  }, 60_000);

  it("a worker killed during a Resend batch and restarted sends every invitation exactly once", async () => {
    const { scenario } = await import("../faults/worker-kill.ts");
    const result = await scenario({ invitations: 120, answerDelayMs: 1500 });
    expect(result.details).not.toContain("FAIL");
    expect(result.pass).toBe(true);
  }, 90_000);

  it("two servers and two workers on one database make no duplicates", async () => {
    const { scenario } = await import("../faults/two-instances.ts");
    const result = await scenario({ events: 30, concurrency: 4 });
    expect(result.details).not.toContain("FAIL");
    expect(result.pass).toBe(true);
  }, 90_000);
});
