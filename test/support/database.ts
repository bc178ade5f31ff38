import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { type Database, openDatabase } from "../../src/db/client.ts";

export interface ServerDatabase {
  url: string;
  /** Drops the database, ending whatever connections are still on it. */
  drop(): Promise<void>;
  /** Leaves the database in place and lets go of the server. */
  keep(): Promise<void>;
}

/**
 * A new, empty database on a PostgreSQL server, named `<prefix>_<random>`: the one way the
 * tests, benches and fault scenarios get a database of their own.
 */
export async function createServerDatabase(
  serverUrl: string,
  prefix: string,
): Promise<ServerDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
    keep: () => admin.end({ timeout: 5 }),
  };
}

let template: Promise<Blob | undefined> | undefined;

/** The migrated embedded database the global setup dumped, read once per test worker. */
function pgliteTemplate(): Promise<Blob | undefined> {
  template ??= (async () => {
    // Loaded here: the benches and fault scenarios share this module outside Vitest.
    const { inject } = await import("vitest");
    const file = inject("pgliteTemplate");
    return file ? new Blob([await readFile(file)]) : undefined;
  })();
  return template;
}

/**
 * A fresh, migrated database for one test file: an in-memory PGlite, or a new database on
 * the PostgreSQL server named by TEST_DATABASE_URL (dropped again by `close`).
 */
export async function createTestDatabase(): Promise<Database & { url?: string }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return openDatabase({ driver: "pglite", template: await pgliteTemplate() });
  const server = await createServerDatabase(serverUrl, "rapport_test");
  const database = await openDatabase({ driver: "postgres", url: server.url, poolSize: 5 });
  return {
    ...database,
    url: server.url,
    close: async () => {
      await database.close();
      await server.drop();
    },
  };
}

/** A connection string for a fresh, empty database, for tests that start processes. */
export async function createEmptyServerDatabase(): Promise<ServerDatabase | undefined> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return undefined;
  return createServerDatabase(serverUrl, "rapport_test");
}
