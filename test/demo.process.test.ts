import { afterAll, describe, expect, it } from "vitest";
import { createEmptyServerDatabase } from "./support/database.ts";
import { migratedDataDir, runCli } from "./support/process.ts";

const server = await createEmptyServerDatabase();
const env: Record<string, string> = server
  ? { DATABASE_URL: server.url, LOG_LEVEL: "warn" }
  : { DATA_DIR: await migratedDataDir(), LOG_LEVEL: "warn" };
afterAll(() => server?.drop());

describe("npx rapport demo", () => {
  it("fills the configured database, prints the admin key and the dashboard URL, and refuses a second run", async () => {
    const first = await runCli(["demo", "--days", "6"], env);
    expect(first.stderr).toContain("tickets");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Admin API key \(shown once\): rpk_[A-Za-z0-9_-]{43}\n/);
    expect(first.stdout).toContain("http://localhost:3000/dashboard");
    const second = await runCli(["demo"], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("already holds work items");
    expect(second.stdout).toBe("");
  }, 120_000);

  it("a bad --days is a usage error", async () => {
    const result = await runCli(["demo", "--days", "many"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--days");
  }, 60_000);
});
