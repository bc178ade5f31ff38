import { and, eq, inArray, notExists, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { members, touches } from "../db/schema/index.ts";
import type { CanonicalEvent } from "./event.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

export interface MemberMention {
  member: CanonicalEvent["touches"][number]["member"];
  teamId: string;
  at: Date;
}

/**
 * Member ids by external id. New members are created; a member's name and email follow their
 * latest mention, and their current team follows their latest touch unless a later touch is
 * already on record (an old event arriving late moves nobody back). Rows are written only when
 * something changed, one member at a time in external-id order, so concurrent events neither
 * queue behind nor deadlock on each other's row locks.
 */
export async function learnMembers(
  { ctx }: { ctx: Ctx },
  mentions: MemberMention[],
): Promise<Map<string, string>> {
  const latest = new Map<string, MemberMention>();
  for (const mention of mentions) {
    const seen = latest.get(mention.member.externalId);
    if (!seen || mention.at >= seen.at) latest.set(mention.member.externalId, mention);
  }
  const wanted = [...latest.keys()].sort();
  const ids = new Map<string, string>();
  if (wanted.length === 0) return ids;

  const select = () =>
    ctx.db
      .select({
        id: members.id,
        externalId: members.externalId,
        name: members.name,
        email: members.email,
        teamId: members.teamId,
      })
      .from(members)
      .where(inArray(members.externalId, wanted));
  const now = ctx.clock.now();
  let rows = await select();
  const known = new Set(rows.map((row) => row.externalId));
  const missing = wanted.filter((id) => !known.has(id));
  if (missing.length > 0) {
    await ctx.db
      .insert(members)
      .values(
        missing.map((externalId) => {
          const { member, teamId } = latest.get(externalId)!;
          const email = member.email ?? null;
          return { externalId, name: member.name, email, teamId, createdAt: now, updatedAt: now };
        }),
      )
      .onConflictDoNothing({ target: members.externalId });
    rows = await select();
  }

  rows.sort((a, b) => (a.externalId < b.externalId ? -1 : 1));
  for (const row of rows) {
    ids.set(row.externalId, row.id);
    const { member, teamId, at } = latest.get(row.externalId)!;
    const email = member.email ?? row.email;
    if (member.name !== row.name || email !== row.email) {
      await ctx.db
        .update(members)
        .set({ name: member.name, email, updatedAt: now })
        .where(eq(members.id, row.id));
    }
    if (row.teamId !== teamId) {
      await ctx.db
        .update(members)
        .set({ teamId, updatedAt: now })
        .where(
          and(
            eq(members.id, row.id),
            notExists(
              ctx.db
                .select({ one: sql`1` })
                .from(touches)
                .where(
                  and(
                    eq(touches.memberId, row.id),
                    sql`${touches.at} > ${at.toISOString()}::timestamptz`,
                  ),
                ),
            ),
          ),
        );
    }
  }
  return ids;
}
