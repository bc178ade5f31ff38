import { eq, inArray, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { clients, contacts, teams } from "../db/schema/index.ts";
import type { CanonicalEvent } from "./event.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

/*
 * Intake learns the directory from events. Rows every event touches (a busy team, a busy
 * technician, a big client) are read first and written only when something changed, so
 * concurrent events do not queue behind each other's row locks.
 */

export interface ClientState {
  id: string;
  excludeFromSurveys: boolean;
}

/** Finds or creates the event's client, renaming it when the PSA renamed it. */
export async function learnClient(
  { ctx }: { ctx: Ctx },
  client: CanonicalEvent["client"],
): Promise<ClientState> {
  const select = () =>
    ctx.db
      .select({
        id: clients.id,
        name: clients.name,
        excludeFromSurveys: clients.excludeFromSurveys,
      })
      .from(clients)
      .where(eq(clients.externalId, client.externalId));
  const now = ctx.clock.now();
  let [row] = await select();
  if (!row) {
    await ctx.db
      .insert(clients)
      .values({
        externalId: client.externalId,
        name: client.name,
        activeSince: now,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing({ target: clients.externalId });
    [row] = await select();
  } else if (row.name !== client.name) {
    await ctx.db
      .update(clients)
      .set({ name: client.name, updatedAt: now })
      .where(eq(clients.id, row.id));
  }
  return { id: row!.id, excludeFromSurveys: row!.excludeFromSurveys };
}

export interface ContactState {
  id: string;
  email: string | null;
  optedOutAt: Date | null;
  bouncedAt: Date | null;
  complainedAt: Date | null;
}

/**
 * Finds or creates the event's contact. Fields the event leaves out keep what is known; a new
 * email address clears the old address's bounce and complaint.
 */
export async function learnContact(
  { ctx }: { ctx: Ctx },
  clientId: string,
  contact: NonNullable<CanonicalEvent["contact"]>,
): Promise<ContactState> {
  const now = ctx.clock.now();
  let row = await findOrCreateContact(ctx, clientId, contact, now);
  const next = {
    clientId,
    email: contact.email ?? row.email,
    name: contact.name ?? row.name,
    locale: contact.locale ?? row.locale,
  };
  const emailChanged = (next.email ?? "").toLowerCase() !== (row.email ?? "").toLowerCase();
  if (
    next.clientId !== row.clientId ||
    next.email !== row.email ||
    next.name !== row.name ||
    next.locale !== row.locale
  ) {
    const cleared = emailChanged ? { bouncedAt: null, complainedAt: null } : {};
    await ctx.db
      .update(contacts)
      .set({ ...next, ...cleared, updatedAt: now })
      .where(eq(contacts.id, row.id));
    row = { ...row, ...next, ...cleared };
  }
  return {
    id: row.id,
    email: row.email,
    optedOutAt: asDate(row.optedOutAt),
    bouncedAt: asDate(row.bouncedAt),
    complainedAt: asDate(row.complainedAt),
  };
}

/** Raw queries answer timestamps as strings on one driver and dates on the other. */
function asDate(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}

interface ContactRow {
  id: string;
  email: string | null;
  optedOutAt: Date | string | null;
  bouncedAt: Date | string | null;
  complainedAt: Date | string | null;
  clientId: string;
  name: string | null;
  locale: string | null;
}

/**
 * One round trip in the usual cases: insert the contact unless its external id exists, and
 * answer the row either way. The union's second branch cannot see a row committed by a
 * concurrent insert after this statement began, so that rare race reads once more.
 */
async function findOrCreateContact(
  ctx: Ctx,
  clientId: string,
  contact: NonNullable<CanonicalEvent["contact"]>,
  now: Date,
): Promise<ContactRow> {
  const columns = sql`id, client_id as "clientId", email, name, locale,
    opted_out_at as "optedOutAt", bounced_at as "bouncedAt", complained_at as "complainedAt"`;
  const find = sql`select ${columns} from contacts where external_id = ${contact.externalId}`;
  const at = now.toISOString();
  let [row] = await queryRows<ContactRow>(
    ctx.db,
    sql`with inserted as (
          insert into contacts (external_id, client_id, email, name, locale, created_at, updated_at)
          values (${contact.externalId}, ${clientId}, ${contact.email ?? null}, ${contact.name ?? null},
                  ${contact.locale ?? null}, ${at}::timestamptz, ${at}::timestamptz)
          on conflict (external_id) do nothing
          returning ${columns})
        select * from inserted union all (${find}) limit 1`,
  );
  if (!row) [row] = await queryRows<ContactRow>(ctx.db, find);
  if (!row) throw new Error(`contact ${contact.externalId} vanished during intake`);
  return row;
}

/** `centralized-services` -> `Centralized Services`: the name a team gets on first sight. */
export function teamNameFromKey(key: string): string {
  return key
    .split("-")
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(" ");
}

/** Team ids by key, creating the teams never seen before. */
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
