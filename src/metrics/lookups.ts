import { inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { clients, members, surveys, teams } from "../db/schema/index.ts";
import { ApiError, type FieldError } from "../http/errors.ts";
import type { Filters } from "./query.ts";
import type { IdFilters } from "./score-counts.ts";

export interface SurveyInfo {
  id: string;
  key: string;
  scale: "csat3" | "csat5" | "nps";
}

/** Turns the caller's keys into ids; an unknown key is a 400 naming the filter. */
export async function resolveFilters(db: Db, filters: Filters): Promise<IdFilters> {
  const errors: FieldError[] = [];
  const resolved: IdFilters = {};
  const lookup = async (
    field: "team" | "member" | "client" | "survey",
    find: (values: string[]) => Promise<Array<{ id: string; name: string }>>,
  ) => {
    const values = filters[field];
    if (!values) return;
    const found = await find(values);
    const byName = new Map(found.map((row) => [row.name, row.id]));
    for (const value of values) {
      if (!byName.has(value))
        errors.push({ path: field, message: `unknown: ${value}`, in: "query" });
    }
    resolved[field] = [...new Set(found.map((row) => row.id))];
  };
  await lookup("team", (v) =>
    db.select({ id: teams.id, name: teams.key }).from(teams).where(inArray(teams.key, v)),
  );
  await lookup("member", (v) =>
    db
      .select({ id: members.id, name: members.externalId })
      .from(members)
      .where(inArray(members.externalId, v)),
  );
  await lookup("client", (v) =>
    db
      .select({ id: clients.id, name: clients.externalId })
      .from(clients)
      .where(inArray(clients.externalId, v)),
  );
  await lookup("survey", (v) =>
    db.select({ id: surveys.id, name: surveys.key }).from(surveys).where(inArray(surveys.key, v)),
  );
  if (filters.board) resolved.board = filters.board;
  if (errors.length > 0) {
    throw new ApiError("validation_failed", `Unknown filter value: ${errors[0]!.message}.`, {
      errors,
    });
  }
  return resolved;
}

export async function allSurveys(db: Db): Promise<SurveyInfo[]> {
  return db.select({ id: surveys.id, key: surveys.key, scale: surveys.scale }).from(surveys);
}

/** Public names for the ids in result keys: team keys, member and client external ids. */
export async function publicNames(
  db: Db,
  ids: { team: Set<string>; member: Set<string>; client: Set<string> },
): Promise<{
  team: Map<string, string>;
  member: Map<string, string>;
  client: Map<string, string>;
}> {
  const pick = async (
    set: Set<string>,
    query: (values: string[]) => Promise<Array<{ id: string; name: string }>>,
  ) => new Map(set.size === 0 ? [] : (await query([...set])).map((r) => [r.id, r.name]));
  return {
    team: await pick(ids.team, (v) =>
      db.select({ id: teams.id, name: teams.key }).from(teams).where(inArray(teams.id, v)),
    ),
    member: await pick(ids.member, (v) =>
      db
        .select({ id: members.id, name: members.externalId })
        .from(members)
        .where(inArray(members.id, v)),
    ),
    client: await pick(ids.client, (v) =>
      db
        .select({ id: clients.id, name: clients.externalId })
        .from(clients)
        .where(inArray(clients.id, v)),
    ),
  };
}
