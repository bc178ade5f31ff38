import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { compile, type Fragment, ident, nothing, stmt } from "../src/db/statement.ts";

const member = (name: string, team: string | null) =>
  stmt`select ${name}::text, ${team}::text from ${ident("member_row")}`;
const statement = (withTeam: boolean, name: string, team: string | null, limit: number): Fragment =>
  stmt`with m as (${member(name, team)}) select * from m where ${
    withTeam ? stmt`team = ${team} and ` : nothing
  }true limit ${limit}`;

describe("statements compiled once per shape", () => {
  it("numbers the parameters in order of appearance, nested pieces included", () => {
    const { sql: text, params } = compile(statement(true, "Ada", "help-desk", 3));
    expect(text).toBe(
      'with m as (select $1::text, $2::text from "member_row") select * from m where team = $3 and true limit $4',
    );
    expect(params).toEqual(["Ada", "help-desk", "help-desk", 3]);
  });

  it("writes what drizzle's sql writes for the same template", () => {
    const ours = compile(stmt`select ${1} from ${ident('we"ird')} where ${stmt`a = ${"x"}`}`);
    const theirs = new PgDialect().sqlToQuery(
      sql`select ${1} from ${sql.identifier('we"ird')} where ${sql`a = ${"x"}`}`,
    );
    expect(ours).toEqual({ sql: theirs.sql, params: theirs.params });
  });

  it("reuses a shape's text with new values, and tells shapes apart", () => {
    const first = compile(statement(true, "Ada", "help-desk", 3));
    const again = compile(statement(true, "Grace", null, 9));
    expect(again.sql).toBe(first.sql);
    expect(again.params).toEqual(["Grace", null, null, 9]);
    const without = compile(statement(false, "Grace", null, 9));
    expect(without.sql).toBe(
      'with m as (select $1::text, $2::text from "member_row") select * from m where true limit $3',
    );
    expect(without.params).toEqual(["Grace", null, 9]);
    // The same template naming another CTE is another shape.
    const from = (name: string) => compile(stmt`select ${"a"} from ${ident(name)}`);
    expect(from("team_row").sql).toBe('select $1 from "team_row"');
    expect(from("client_row").sql).toBe('select $1 from "client_row"');
  });
});
