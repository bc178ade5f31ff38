import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.ts";

// Raw SQL names no columns through the schema, so no casing applies.
const dialect = new PgDialect();

/**
 * Rows of a raw query run as a prepared statement. `db.execute` sends an unnamed statement,
 * which postgres.js describes in a round trip of its own and PostgreSQL parses and plans every
 * time; a prepared one is described once per connection and its plan is reused. For the few
 * statement shapes on the intake path only: each distinct text stays cached per connection.
 */
export async function queryPrepared<T>(db: Db, name: string, query: SQL): Promise<T[]> {
  const prepared = db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false);
  const result = (await prepared.execute()) as unknown;
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}
