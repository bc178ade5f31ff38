import { type Fragment, stmt } from "../db/statement.ts";
import type { CanonicalEvent } from "./event.ts";
import { after } from "./parties.ts";

export interface MemberMention {
  member: CanonicalEvent["touches"][number]["member"];
  team: string;
  at: Date;
}

/**
 * Each member's latest mention in the event: their email and team follow it, and so does their
 * name, or when that mention carries none, the latest mention in the event that does.
 */
export function latestMentions(mentions: MemberMention[]): Map<string, MemberMention> {
  const latest = new Map<string, MemberMention>();
  const named = new Map<string, MemberMention>();
  for (const mention of mentions) {
    const id = mention.member.externalId;
    const seen = latest.get(id);
    if (!seen || mention.at >= seen.at) latest.set(id, mention);
    const seenNamed = named.get(id);
    if (mention.member.name && (!seenNamed || mention.at >= seenNamed.at)) {
      named.set(id, mention);
    }
  }
  for (const [id, mention] of latest) {
    const name = named.get(id)?.member.name;
    if (!mention.member.name && name)
      latest.set(id, { ...mention, member: { ...mention.member, name } });
  }
  return latest;
}

/** Input rows for `memberCtes`, in external-id order. */
function memberInput(latest: Map<string, MemberMention>) {
  return [...latest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([externalId, { member, team, at }]) => ({
      external_id: externalId,
      // Null when no mention named them: a known member keeps their name, a new one takes the id.
      name: member.name ?? null,
      email: member.email ?? null,
      team_key: team,
      at: at.toISOString(),
    }));
}

/**
 * CTEs `member_input`, `member_found`, `member_new` and `member_row (id, external_id)`, after
 * `team_row`: the event's members, new ones created in external-id order (so concurrent
 * events creating the same members wait for each other, never deadlock), and only once all
 * `teamCount` teams are resolved.
 */
export function memberCtes(
  latest: Map<string, MemberMention>,
  teamCount: number,
  at: string,
): Fragment {
  return stmt`member_input as (
      select * from jsonb_to_recordset(${JSON.stringify(memberInput(latest))}::jsonb)
        as i(external_id text, name text, email text, team_key text, at timestamptz)),
    member_found as (
      select id, external_id from members where external_id in (select external_id from member_input)),
    member_new as (
      insert into members (external_id, name, email, team_id, details_at, created_at, updated_at)
      select i.external_id, coalesce(i.name, i.external_id), i.email, t.id,
        case when i.name is not null or i.email is not null then i.at end,
        ${at}::timestamptz, ${at}::timestamptz
      from member_input i join team_row t on t.key = i.team_key
      where i.external_id not in (select external_id from member_found)
        and (select count(*) from team_row) = ${teamCount}
      order by i.external_id
      on conflict (external_id) do nothing
      returning id, external_id),
    member_row as (
      select id, external_id from member_found union all select id, external_id from member_new)`;
}

/**
 * CTEs `member_changed` and `member_updated`, once `resolved` and after the CTE named
 * `previous`. A member's name (when the event names them) and email follow their latest
 * mention, and their current team follows their latest touch, unless something later is already
 * on record: a touch after this mention, or name and email set after it (by a directory write or
 * a newer event). An old event arriving late moves and renames nobody back; it only fills in an
 * email still unknown. Rows are written only when something changes, locked first in external-id
 * order, so concurrent events neither queue behind nor deadlock on each other.
 */
export function memberUpdateCtes(at: string, previous: string): Fragment {
  const laterTouch = stmt`exists (select 1 from touches x where x.member_id = m.id and x.at > i.at)`;
  const moveDue = stmt`m.team_id is distinct from t.id and not ${laterTouch}`;
  const newer = stmt`((m.details_at is null or m.details_at <= i.at) and not ${laterTouch})`;
  const name = stmt`case when ${newer} then coalesce(i.name, m.name) else m.name end`;
  const email = stmt`case when ${newer} then coalesce(i.email, m.email)
    else coalesce(m.email, i.email) end`;
  const detailsChange = stmt`(m.name is distinct from ${name} or m.email is distinct from ${email})`;
  return stmt`member_changed as (
      select m.id from members m
        join member_input i on i.external_id = m.external_id
        join team_row t on t.key = i.team_key
      where (select ok from resolved) and ${after(previous)}
        -- Would the event change anything, were it the newest? Most events change nothing.
        and (m.name is distinct from coalesce(i.name, m.name)
          or m.email is distinct from coalesce(i.email, m.email) or m.team_id is distinct from t.id)
        and (${detailsChange} or (${moveDue}))
      order by m.external_id
      for no key update of m),
    member_updated as (
      update members m set name = ${name}, email = ${email},
        details_at = case when ${newer} and ${detailsChange} then i.at else m.details_at end,
        team_id = case when ${moveDue} then t.id else m.team_id end,
        updated_at = ${at}::timestamptz
      from member_input i, team_row t
      where m.id in (select id from member_changed) and i.external_id = m.external_id
        and t.key = i.team_key
      returning m.id)`;
}
