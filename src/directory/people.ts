import { asc, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { members, teams } from "../db/schema/index.ts";
import { learnTeams, teamNameFromKey } from "../intake/parties.ts";
import { afterCursor, cursorAt, type Page, type PageRequest, toPage } from "./pagination.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

export type TeamRow = typeof teams.$inferSelect;
/** A member with the key of their current team. */
export type MemberView = typeof members.$inferSelect & { teamKey: string | null };

export async function putTeam({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { key: string; name?: string | undefined; leadEmail?: string | null | undefined };
}): Promise<{ team: TeamRow; created: boolean }> {
  const now = ctx.clock.now();
  const changes = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.leadEmail !== undefined ? { leadEmail: input.leadEmail } : {}),
    updatedAt: now,
  };
  // A new team without a name gets the one intake gives it (`help-desk` -> `Help Desk`).
  const [row] = await ctx.db
    .insert(teams)
    .values({ key: input.key, name: teamNameFromKey(input.key), createdAt: now, ...changes })
    .onConflictDoUpdate({ target: teams.key, set: changes })
    .returning({ ...getTableColumns(teams), created: sql<boolean>`(xmax = 0)` });
  const { created, ...team } = row!;
  return { team, created };
}

export async function getTeam({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { key: string };
}): Promise<TeamRow | undefined> {
  const [row] = await ctx.db.select().from(teams).where(eq(teams.key, input.key));
  return row;
}

export async function listTeams({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: PageRequest;
}): Promise<Page<TeamRow>> {
  const rows = await ctx.db
    .select({ ...getTableColumns(teams), cursorAt: cursorAt(teams.createdAt) })
    .from(teams)
    .where(afterCursor(teams.createdAt, teams.id, input.cursor))
    .orderBy(asc(teams.createdAt), asc(teams.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, ({ cursorAt: _, ...row }) => row);
}

const memberView = { ...getTableColumns(members), teamKey: teams.key };

async function selectMembers(db: Ctx["db"], where: SQL | undefined, limit?: number) {
  const query = db
    .select({ ...memberView, cursorAt: cursorAt(members.createdAt) })
    .from(members)
    .leftJoin(teams, eq(teams.id, members.teamId))
    .where(where)
    .orderBy(asc(members.createdAt), asc(members.id));
  return limit === undefined ? query : query.limit(limit);
}

/**
 * Creates or updates a member. `teamKey` sets the current team (created on first sight, as
 * intake does); the next touch in another team moves them again.
 */
export async function putMember({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: {
    externalId: string;
    name?: string | undefined;
    email?: string | null | undefined;
    teamKey?: string | null | undefined;
  };
}): Promise<{ member: MemberView; created: boolean }> {
  return ctx.db.transaction(async (db) => {
    const tx = { ...ctx, db };
    const now = ctx.clock.now();
    let teamId: string | null | undefined;
    if (input.teamKey) teamId = (await learnTeams({ ctx: tx }, [input.teamKey])).get(input.teamKey);
    else if (input.teamKey === null) teamId = null;
    const changes = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(teamId !== undefined ? { teamId } : {}),
      ...(input.name !== undefined || input.email !== undefined ? { detailsAt: now } : {}),
      updatedAt: now,
    };
    const [row] = await db
      .insert(members)
      // A new member without a name is known by their id, as intake knows them.
      .values({ externalId: input.externalId, name: input.externalId, createdAt: now, ...changes })
      .onConflictDoUpdate({ target: members.externalId, set: changes })
      .returning({ id: members.id, created: sql<boolean>`(xmax = 0)` });
    const [member] = await selectMembers(db, eq(members.id, row!.id));
    const { cursorAt: _, ...view } = member!;
    return { member: view, created: row!.created };
  });
}

export async function getMember({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { externalId: string };
}): Promise<MemberView | undefined> {
  const [row] = await selectMembers(ctx.db, eq(members.externalId, input.externalId));
  if (!row) return undefined;
  const { cursorAt: _, ...view } = row;
  return view;
}

export async function listMembers({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: PageRequest;
}): Promise<Page<MemberView>> {
  const rows = await selectMembers(
    ctx.db,
    afterCursor(members.createdAt, members.id, input.cursor),
    input.limit + 1,
  );
  return toPage(rows, input.limit, ({ cursorAt: _, ...row }) => row);
}
