import { and, eq, notExists, type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { members, touches } from "../db/schema/index.ts";
import type { CanonicalEvent } from "./event.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

export interface MemberMention {
  member: CanonicalEvent["touches"][number]["member"];
  team: string;
  at: Date;
}

/** Each member's latest mention in the event: their name, email and team follow it. */
export function latestMentions(mentions: MemberMention[]): Map<string, MemberMention> {
  const latest = new Map<string, MemberMention>();
  for (const mention of mentions) {
    const seen = latest.get(mention.member.externalId);
    if (!seen || mention.at >= seen.at) latest.set(mention.member.externalId, mention);
  }
  return latest;
}

/**
 * CTEs ending in `member_row (id, external_id)`, after `team_row`. New members are created; a
 * member's name and email follow their latest mention, and their current team follows their
 * latest touch unless a later touch is already on record (an old event arriving late moves
 * nobody back). Rows are written only when something changed. New members are inserted first,
 * then changed ones are locked, each in external-id order, so concurrent events neither queue
 * behind nor deadlock on each other's rows. `member_raced` lists members another transaction
 * created after this statement's snapshot: `moveRacedMembers` finishes those.
 */
export function memberCtes(latest: Map<string, MemberMention>, at: string): SQL {
  const input = [...latest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([externalId, { member, team, at: touchedAt }]) => ({
      external_id: externalId,
      name: member.name,
      email: member.email ?? null,
      team_key: team,
      at: touchedAt.toISOString(),
    }));
  // A move is due when the team differs and no touch after this mention is on record.
  const moveDue = sql`m.team_id is distinct from t.id and not exists (
      select 1 from touches x where x.member_id = m.id and x.at > i.at)`;
  return sql`member_input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
        as i(external_id text, name text, email text, team_key text, at timestamptz)),
    member_found as (
      select id, external_id from members where external_id in (select external_id from member_input)),
    member_new as (
      insert into members as m (external_id, name, email, team_id, created_at, updated_at)
      select i.external_id, i.name, i.email, t.id, ${at}::timestamptz, ${at}::timestamptz
      from member_input i join team_row t on t.key = i.team_key
      where i.external_id not in (select external_id from member_found)
      order by i.external_id
      on conflict (external_id) do update
        set name = excluded.name, email = coalesce(excluded.email, m.email), updated_at = excluded.updated_at
      returning id, external_id, xmax = 0 as inserted),
    member_changed as (
      select m.id from members m
        join member_input i on i.external_id = m.external_id
        join team_row t on t.key = i.team_key
      where (select count(*) from member_new) >= 0
        and (m.name is distinct from i.name or m.email is distinct from coalesce(i.email, m.email)
             or (${moveDue}))
      order by m.external_id
      for no key update of m),
    member_updated as (
      update members m set name = i.name, email = coalesce(i.email, m.email),
        team_id = case when ${moveDue} then t.id else m.team_id end,
        updated_at = ${at}::timestamptz
      from member_input i, team_row t
      where m.id in (select id from member_changed) and i.external_id = m.external_id
        and t.key = i.team_key
      returning m.id),
    member_row as (
      select id, external_id from member_found union all select id, external_id from member_new),
    member_raced as (select id, external_id from member_new where not inserted)`;
}

/**
 * The team move for members another transaction created while this event was being recorded:
 * the rare case the single statement cannot see. Same rule as above, one member at a time.
 */
export async function moveRacedMembers(
  { ctx }: { ctx: Ctx },
  raced: Array<{ id: string; externalId: string }>,
  latest: Map<string, MemberMention>,
  teamIds: Map<string, string>,
): Promise<void> {
  const now = ctx.clock.now();
  for (const row of [...raced].sort((a, b) => (a.externalId < b.externalId ? -1 : 1))) {
    const mention = latest.get(row.externalId);
    const teamId = mention && teamIds.get(mention.team);
    if (!mention || !teamId) continue;
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
                  sql`${touches.at} > ${mention.at.toISOString()}::timestamptz`,
                ),
              ),
          ),
        ),
      );
  }
}
