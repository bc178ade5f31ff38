import { eq, inArray } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
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
  const select = () =>
    ctx.db
      .select({
        id: contacts.id,
        clientId: contacts.clientId,
        email: contacts.email,
        name: contacts.name,
        locale: contacts.locale,
        optedOutAt: contacts.optedOutAt,
        bouncedAt: contacts.bouncedAt,
        complainedAt: contacts.complainedAt,
      })
      .from(contacts)
      .where(eq(contacts.externalId, contact.externalId));
  const now = ctx.clock.now();
  let [row] = await select();
  if (!row) {
    await ctx.db
      .insert(contacts)
      .values({
        externalId: contact.externalId,
        clientId,
        email: contact.email ?? null,
        name: contact.name ?? null,
        locale: contact.locale ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing({ target: contacts.externalId });
    [row] = await select();
    if (!row) throw new Error(`contact ${contact.externalId} vanished during intake`);
  }
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
    optedOutAt: row.optedOutAt,
    bouncedAt: row.bouncedAt,
    complainedAt: row.complainedAt,
  };
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
