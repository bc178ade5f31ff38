import { fileURLToPath } from "node:url";
import type { SQL } from "drizzle-orm";
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { defaultPoolSize } from "../config.ts";
import { acquireDataDirLock } from "./data-dir-lock.ts";
import { type CompiledStatement, compile, type Fragment } from "./statement.ts";

/** A database or transaction handle. No relational schema: rapport never uses `db.query`. */
export type Db = PgDatabase<PgQueryResultHKT>;

export interface Database {
  readonly db: Db;
  readonly driver: "pglite" | "postgres";
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseTarget =
  | {
      driver: "pglite";
      dataDir?: string;
      /**
       * For an in-memory database: a dump of a data directory (PGlite's `dumpDataDir`) to start
       * from instead of an empty cluster, which skips creating one. Migrations still run.
       */
      template?: Blob;
    }
  | { driver: "postgres"; url: string; poolSize?: number };

const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));
// No relational schema: rapport writes its queries with the query builder and SQL, never
// `db.query`, and given a schema drizzle builds a query builder per table for every transaction.
const drizzleOptions = { casing: "snake_case" } as const;
// Any constant shared by every instance: serialises concurrent start-ups' migrations.
const MIGRATION_LOCK = 72_616_112;

/** Opens (and migrates) the embedded database or a PostgreSQL server. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.driver === "postgres"
    ? openPostgres(target.url, target.poolSize ?? defaultPoolSize())
    : openPglite(target.dataDir, target.template);
}

async function openPglite(
  dataDir: string | undefined,
  template: Blob | undefined,
): Promise<Database> {
  const lock = dataDir ? await acquireDataDirLock(dataDir) : undefined;
  try {
    // Loaded only when used: a server on PostgreSQL never pays for the embedded engine.
    const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
      import("@electric-sql/pglite"),
      import("drizzle-orm/pglite"),
      import("drizzle-orm/pglite/migrator"),
    ]);
    const client = await PGlite.create(
      dataDir ? { dataDir } : template ? { loadDataDir: template } : {},
    );
    const db = drizzlePglite({ client, ...drizzleOptions });
    await migratePglite(db, { migrationsFolder });
    return {
      db: db as unknown as Db,
      driver: "pglite",
      ping: async () => {
        await client.query("select 1");
      },
      close: async () => {
        await client.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const migrator = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrator`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres({ client: migrator, ...drizzleOptions }), {
      migrationsFolder,
    });
    await migrator`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await migrator.end();
  }
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
  });
  const db = drizzlePostgres({ client, ...drizzleOptions });
  return {
    db: db as unknown as Db,
    driver: "postgres",
    ping: async () => {
      await client`select 1`;
    },
    close: async () => {
      await client.end({ timeout: 5 });
    },
  };
}

/** Rows of a raw query, whichever driver ran it (postgres.js answers an array, PGlite `{rows}`). */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/** The driver client under a drizzle database or transaction: postgres.js or PGlite. */
type DriverClient =
  | {
      unsafe(text: string, params: unknown[], options: { prepare: boolean }): Promise<unknown[]>;
    }
  | { query(text: string, params: unknown[]): Promise<{ rows: unknown[] }> };

/**
 * Rows of a statement whose text never changes, sent straight to the driver: no query building,
 * and postgres.js keeps it prepared per connection, so the server parses and plans it once.
 * Parameters are positional (`$1`) and untyped: cast them in the text. Timestamps come back as
 * text from postgres.js (drizzle turns its parsing off) and as Date from PGlite, so map them
 * with `new Date(value)`; cast counts and sums to `int`.
 */
export async function queryFixed<T>(db: Db, text: string, params: unknown[]): Promise<T[]> {
  // drizzle keeps its session public but does not type the client under it.
  const client = (db as unknown as { session: { client: DriverClient } }).session.client;
  if ("unsafe" in client) {
    return (await client.unsafe(text, params, { prepare: true })) as T[];
  }
  return (await client.query(text, params)).rows as T[];
}

// Raw SQL names no columns through the schema, so no casing applies.
const rawDialect = new PgDialect();

/**
 * Rows of a drizzle `sql` query run as a named prepared statement, with drizzle's own type
 * handling. `db.execute` sends an unnamed statement that postgres.js describes in a round trip
 * of its own and PostgreSQL plans every time; a prepared one is described once per connection
 * and its plan reused. For the few fixed statement shapes of hot paths only.
 */
export async function queryPrepared<T>(db: Db, name: string, query: SQL): Promise<T[]> {
  return executeNamed(db, name, rawDialect.sqlToQuery(query));
}

/** Like `queryPrepared`, for a statement built with `stmt` (see `statement.ts`). */
export async function queryStatement<T>(db: Db, name: string, statement: Fragment): Promise<T[]> {
  return executeNamed(db, name, compile(statement));
}

async function executeNamed<T>(db: Db, name: string, query: CompiledStatement): Promise<T[]> {
  const prepared = db._.session.prepareQuery(query, undefined, name, false);
  const result = (await prepared.execute()) as unknown;
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/**
 * A json column's value from a raw query: postgres.js answers it parsed, PGlite (for some
 * statements) as text.
 */
export function parsedJson<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

/** A statement handed to the driver whose outcome is read later; never rejects. */
export type PendingWrite = Promise<{ error: unknown } | undefined>;

/**
 * Starts a transaction's last statement, whose result nobody reads, without waiting for it:
 * the transaction returns, and the driver sends it and COMMIT together, one round trip instead
 * of two. It was queued on the transaction's connection first, so it runs first; if it fails,
 * the transaction ends rolled back (COMMIT of a failed transaction rolls back) and
 * `settleWrite` throws its error once the transaction is over.
 */
export function beforeCommit(write: Promise<void>): PendingWrite {
  return write.then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
}

export async function settleWrite(pending: PendingWrite | undefined): Promise<void> {
  const failure = await pending;
  if (failure) throw failure.error;
}
