import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { queryRows } from "../src/db/client.ts";
import { clients } from "../src/db/schema/index.ts";
import { createTestDatabase } from "./support/database.ts";

// The embedded test databases start from one migrated dump (test/support/pglite-template.ts).
describe.skipIf(!inject("pgliteTemplate"))("test databases copied from the migrated dump", () => {
  it("are migrated and independent of each other", async () => {
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      const migrations = (db: typeof first.db) =>
        queryRows<{ count: number }>(
          db,
          sql`select count(*)::int as count from drizzle.__drizzle_migrations`,
        );
      const [applied] = await migrations(first.db);
      expect(applied!.count).toBeGreaterThan(0);
      expect(await migrations(second.db)).toEqual([applied]);
      await first.db.insert(clients).values({ externalId: "only-in-first", name: "First" });
      expect(await second.db.select().from(clients)).toEqual([]);
      expect(await first.db.select({ name: clients.name }).from(clients)).toEqual([
        { name: "First" },
      ]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
