import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/db/client.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A dump of a migrated embedded database, for each test's own copy; null on PostgreSQL. */
    pgliteTemplate: string | null;
  }
}

/**
 * Vitest's global setup: migrates one embedded database and dumps it, once per run. Each test
 * database then starts from that dump, which skips creating a cluster (most of the time an
 * embedded database takes to open); migrations still run on every copy and find nothing to do.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide("pgliteTemplate", null);
    return;
  }
  const folder = await mkdtemp(join(tmpdir(), "rapport-test-"));
  const database = await openDatabase({ driver: "pglite" });
  try {
    const client = (
      database.db as unknown as { $client: { dumpDataDir(c: "none"): Promise<Blob> } }
    ).$client;
    const dump = await client.dumpDataDir("none");
    const file = join(folder, "migrated.tar");
    await writeFile(file, Buffer.from(await dump.arrayBuffer()));
    project.provide("pgliteTemplate", file);
  } finally {
    await database.close();
  }
  return () => rm(folder, { recursive: true, force: true });
}
