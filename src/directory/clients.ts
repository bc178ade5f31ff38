import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { clients, contacts } from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";
import { afterCursor, cursorAt, type Page, type PageRequest, toPage } from "./pagination.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;
export type ClientRow = typeof clients.$inferSelect;
export type ContactRow = typeof contacts.$inferSelect;

export interface ClientInput {
  externalId: string;
  /** Needed to create a client; an update may leave it out. */
  name?: string | undefined;
  activeSince?: string | undefined;
  endedAt?: string | null | undefined;
  excludeFromSurveys?: boolean | undefined;
}

/**
 * Creates or updates a client by its external id. Fields left out keep their value (or take
 * their default on creation: active since now, not ended, not excluded). A client cannot end
 * before it became active: the dates are checked as they stand after the write, stored ones
 * included, and a refused write is rolled back.
 */
export async function putClient({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: ClientInput;
}): Promise<{ client: ClientRow; created: boolean }> {
  const now = ctx.clock.now();
  const changes = {
    // A directory write is the newest word on the name: older events do not set it back.
    ...(input.name !== undefined ? { name: input.name, detailsAt: now } : {}),
    ...(input.activeSince !== undefined ? { activeSince: new Date(input.activeSince) } : {}),
    ...(input.endedAt !== undefined
      ? { endedAt: input.endedAt === null ? null : new Date(input.endedAt) }
      : {}),
    ...(input.excludeFromSurveys !== undefined
      ? { excludeFromSurveys: input.excludeFromSurveys }
      : {}),
  };
  return ctx.db.transaction(async (db) => {
    const columns = { ...getTableColumns(clients), created: sql<boolean>`(xmax = 0)` };
    const [row] =
      input.name === undefined
        ? await db
            .update(clients)
            .set({ ...changes, updatedAt: now })
            .where(eq(clients.externalId, input.externalId))
            .returning({ ...columns, created: sql<boolean>`false` })
        : await db
            .insert(clients)
            .values({
              externalId: input.externalId,
              name: input.name,
              activeSince: now,
              createdAt: now,
              updatedAt: now,
              ...changes,
            })
            .onConflictDoUpdate({ target: clients.externalId, set: { ...changes, updatedAt: now } })
            .returning(columns);
    if (!row) throw requiredToCreate("name", "client");
    const { created, ...client } = row!;
    if (client.endedAt && client.endedAt < client.activeSince) {
      throw new ApiError(
        "validation_failed",
        `endedAt must not be earlier than activeSince (${client.activeSince.toISOString()}).`,
        {
          errors: [
            { path: "endedAt", message: "must not be earlier than activeSince", in: "body" },
          ],
        },
      );
    }
    return { client, created };
  });
}

/** A 400 for a write that would create a record without a field only creating needs. */
export function requiredToCreate(field: string, record: string): ApiError {
  return new ApiError("validation_failed", `\`${field}\` is needed to create a ${record}.`, {
    errors: [{ path: field, message: `is required to create a ${record}`, in: "body" }],
  });
}

export async function getClient({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { externalId: string };
}): Promise<{ client: ClientRow; contacts: ContactRow[] } | undefined> {
  const [client] = await ctx.db
    .select()
    .from(clients)
    .where(eq(clients.externalId, input.externalId));
  if (!client) return undefined;
  const rows = await ctx.db
    .select()
    .from(contacts)
    .where(eq(contacts.clientId, client.id))
    .orderBy(asc(contacts.createdAt), asc(contacts.id));
  return { client, contacts: rows };
}

export async function listClients({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: PageRequest;
}): Promise<Page<ClientRow>> {
  const rows = await ctx.db
    .select({ ...getTableColumns(clients), cursorAt: cursorAt(clients.createdAt) })
    .from(clients)
    .where(afterCursor(clients.createdAt, clients.id, input.cursor))
    .orderBy(asc(clients.createdAt), asc(clients.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, ({ cursorAt: _, ...row }) => row);
}
