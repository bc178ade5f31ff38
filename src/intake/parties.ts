import { inArray } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { teams } from "../db/schema/index.ts";
import { type Fragment, ident, stmt } from "../db/statement.ts";
import { erasedContactKey } from "../directory/erased-key.ts";
import type { CanonicalEvent } from "./event.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

/*
 * Intake learns the directory from events, inside the one statement that records the event's
 * work (see record-work.ts). Rows every event touches (a busy team, a busy technician, a big
 * client) are read from the statement's snapshot and written only when something changed, so
 * concurrent events do not queue behind each other's row locks. Missing rows are inserted
 * first; existing rows are updated only once every party is `resolved`. A row another transaction
 * committed after that snapshot is neither seen nor inserted (`on conflict do nothing`): the
 * statement then records no work and is run again, with a snapshot that sees the row.
 */

/** `where` condition making a CTE wait for the CTE named `name` to have run. */
export function after(name: string): Fragment {
  return stmt`(select count(*) from ${ident(name)}) >= 0`;
}

/**
 * CTEs `client_found`, `client_new` and `client_row (id, exclude_from_surveys)`: finds or
 * creates the event's client.
 */
export function clientCtes(
  client: CanonicalEvent["client"],
  at: string,
  occurredAt: string,
): Fragment {
  return stmt`client_found as (
      select id, exclude_from_surveys from clients where external_id = ${client.externalId}::text),
    client_new as (
      insert into clients as c (external_id, name, active_since, details_at, created_at,
        updated_at)
      select ${client.externalId}::text, ${client.name}::text, ${at}::timestamptz,
        ${occurredAt}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      where not exists (select 1 from client_found)
      on conflict (external_id) do nothing
      returning id, exclude_from_surveys),
    client_row as (
      select id, exclude_from_surveys from client_found
      union all select id, exclude_from_surveys from client_new)`;
}

/**
 * Whether an event of `occurredAt` is newer than what a party's details were last set by: a later
 * directory write or renaming event (`details_at`), or any later event about its work, which
 * named it as it is (a repeat of the same details writes nothing, so it leaves no `details_at`).
 */
function newerThanKnown(detailsAt: Fragment, laterWork: Fragment, occurredAt: string): Fragment {
  return stmt`((${detailsAt} is null or ${detailsAt} <= ${occurredAt}::timestamptz)
    and not exists (select 1 from work_items w where ${laterWork}
      and w.event_at > ${occurredAt}::timestamptz))`;
}

/**
 * CTE `client_renamed`, once `resolved`: renames the client when the PSA renamed it, unless the
 * name on record was set by a newer event (or a later directory write).
 */
export function clientRenameCte(
  client: CanonicalEvent["client"],
  at: string,
  occurredAt: string,
): Fragment {
  return stmt`client_renamed as (
      update clients c set name = ${client.name}::text, details_at = ${occurredAt}::timestamptz,
        updated_at = ${at}::timestamptz
      where (select ok from resolved) and c.id = (select id from client_found)
        and c.name is distinct from ${client.name}::text
        and ${newerThanKnown(stmt`c.details_at`, stmt`w.client_id = c.id`, occurredAt)}
      returning c.id)`;
}

export interface ContactState {
  id: string;
  email: string | null;
  optedOutAt: Date | null;
  bouncedAt: Date | null;
  complainedAt: Date | null;
  erasedAt: Date | null;
}

/** The contact as `contactCtes` answers it: timestamps are strings on one driver. */
export interface ContactRow {
  id: string;
  email: string | null;
  optedOutAt: Date | string | null;
  bouncedAt: Date | string | null;
  complainedAt: Date | string | null;
  erasedAt: Date | string | null;
}

export function contactState(row: ContactRow): ContactState {
  return {
    id: row.id,
    email: row.email,
    optedOutAt: asDate(row.optedOutAt),
    bouncedAt: asDate(row.bouncedAt),
    complainedAt: asDate(row.complainedAt),
    erasedAt: asDate(row.erasedAt),
  };
}

/** Raw queries answer timestamps as strings on one driver and dates on the other. */
function asDate(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}

/**
 * CTEs `contact_found`, `contact_erased`, `contact_new` and `contact_row (id, email,
 * opted_out_at, bounced_at, complained_at, erased_at)`, after `client_row`: finds or creates the
 * event's contact. A contact erased under this id is found by its hash and never created anew.
 */
export function contactCtes(
  contact: NonNullable<CanonicalEvent["contact"]>,
  at: string,
  occurredAt: string,
): Fragment {
  return stmt`contact_found as (
      select id, email, opted_out_at, bounced_at, complained_at, erased_at
      from contacts where external_id = ${contact.externalId}::text),
    contact_erased as (
      select id, email, opted_out_at, bounced_at, complained_at, erased_at
      from contacts where erased_key = ${erasedContactKey(contact.externalId)}::text
        and not exists (select 1 from contact_found)),
    contact_new as (
      insert into contacts (external_id, client_id, email, name, locale, details_at, created_at,
        updated_at)
      select ${contact.externalId}::text, (select id from client_row), ${contact.email ?? null}::text,
        ${contact.name ?? null}::text, ${contact.locale ?? null}::text,
        ${occurredAt}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      where not exists (select 1 from contact_found) and not exists (select 1 from contact_erased)
        and exists (select 1 from client_row)
      on conflict (external_id) do nothing
      returning id, email, opted_out_at, bounced_at, complained_at, erased_at),
    contact_row as (
      select * from contact_found
      union all select * from contact_erased
      union all select * from contact_new)`;
}

/**
 * CTEs `contact_changed` and `contact_now` (the contact as it is after this event), once
 * `resolved` and after the CTE named `previous`. Fields the event leaves out keep what is
 * known; a new email address clears the old address's bounce and complaint. An event older than
 * the details on record (set by a newer event or a later directory write) changes none of them,
 * and only fills in what is still unknown.
 */
export function contactUpdateCtes(
  contact: NonNullable<CanonicalEvent["contact"]>,
  at: string,
  occurredAt: string,
  previous: string,
): Fragment {
  // Read once, and only when the event would change something (see the first test below).
  const newer = stmt`(select newer from contact_newer)`;
  const given = (value: string | null | undefined) => stmt`${value ?? null}::text`;
  /** The event's value when it is newer, else the one on record; either when the other is unknown. */
  const field = (value: string | null | undefined, column: Fragment) =>
    stmt`case when ${newer} then coalesce(${given(value)}, ${column})
      else coalesce(${column}, ${given(value)}) end`;
  const email = field(contact.email, stmt`k.email`);
  const name = field(contact.name, stmt`k.name`);
  const locale = field(contact.locale, stmt`k.locale`);
  const clientId = stmt`case when ${newer} then (select id from client_row) else k.client_id end`;
  const sameEmail = stmt`lower(coalesce(${email}, '')) = lower(coalesce(k.email, ''))`;
  return stmt`contact_newer as (
      select ${newerThanKnown(
        stmt`k.details_at`,
        stmt`w.client_id = k.client_id and w.contact_id = k.id`,
        occurredAt,
      )} as newer
      from contacts k where k.id = (select id from contact_found)),
    contact_changed as (
      update contacts k set client_id = ${clientId},
        email = ${email}, name = ${name}, locale = ${locale},
        bounced_at = case when ${sameEmail} then k.bounced_at end,
        complained_at = case when ${sameEmail} then k.complained_at end,
        details_at = case when ${newer} then ${occurredAt}::timestamptz else k.details_at end,
        updated_at = ${at}::timestamptz
      where (select ok from resolved) and ${after(previous)}
        and k.id = (select id from contact_found)
        -- Erased while this statement waited for the row: nothing of them is written back.
        and k.erased_at is null
        -- Would the event change anything, were it the newest? Most events change nothing.
        and (k.client_id, k.email, k.name, k.locale) is distinct from
          ((select id from client_row), coalesce(${given(contact.email)}, k.email),
            coalesce(${given(contact.name)}, k.name), coalesce(${given(contact.locale)}, k.locale))
        and (k.client_id, k.email, k.name, k.locale) is distinct from
          (${clientId}, ${email}, ${name}, ${locale})
      returning id, email, opted_out_at, bounced_at, complained_at, erased_at),
    contact_now as (
      select * from contact_changed
      union all select * from contact_row where not exists (select 1 from contact_changed))`;
}

/** `centralized-services` -> `Centralized Services`: the name a team gets on first sight. */
export function teamNameFromKey(key: string): string {
  return key
    .split("-")
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(" ");
}

/**
 * CTEs ending in `team_row (id, key)`: the teams the event names, created on first sight in key
 * order (so concurrent events creating the same teams wait for each other, never deadlock),
 * and only once the CTE named `previous` found its row: an event whose earlier parties are not
 * all resolved inserts nothing further, so its next attempt still takes locks in order.
 */
export function teamCtes(keys: string[], at: string, previous: string): Fragment {
  const wanted = [...new Set(keys)].sort().map((key) => ({ key, name: teamNameFromKey(key) }));
  return stmt`team_input as (
      select * from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as t(key text, name text)),
    team_found as (select id, key from teams where key in (select key from team_input)),
    team_new as (
      insert into teams as t (key, name, created_at, updated_at)
      select key, name, ${at}::timestamptz, ${at}::timestamptz from team_input
      where key not in (select key from team_found)
        and exists (select 1 from ${ident(previous)})
      order by key
      on conflict (key) do nothing
      returning id, key),
    team_row as (select id, key from team_found union all select id, key from team_new)`;
}

/** Team ids by key, creating the teams never seen before (the directory API's path). */
export async function learnTeams(
  { ctx }: { ctx: Ctx },
  keys: string[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(keys)].sort();
  const ids = new Map<string, string>();
  if (wanted.length === 0) return ids;
  const select = async (list: string[]) => {
    const rows = await ctx.db
      .select({ id: teams.id, key: teams.key })
      .from(teams)
      .where(inArray(teams.key, list));
    for (const row of rows) ids.set(row.key, row.id);
  };
  await select(wanted);
  const missing = wanted.filter((key) => !ids.has(key));
  if (missing.length > 0) {
    const now = ctx.clock.now();
    await ctx.db
      .insert(teams)
      .values(
        missing.map((key) => ({ key, name: teamNameFromKey(key), createdAt: now, updatedAt: now })),
      )
      .onConflictDoNothing({ target: teams.key });
    await select(missing);
  }
  return ids;
}
