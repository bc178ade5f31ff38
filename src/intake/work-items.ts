import { type Fragment, nothing, stmt } from "../db/statement.ts";
import type { CanonicalEvent } from "./event.ts";
import { after } from "./parties.ts";

const closingTypes = new Set(["ticket.closed", "project.completed"]);

/**
 * CTE `work_item (id, board, contact_id, status, event_at, existed)`, after the CTE named
 * `previous`, and only when `resolved` says every party was found or created: records the work
 * item as the event describes it (`event_at` is then the newest event's applied to it). A
 * closing event closes it (its `closedAt`, or the moment of the event), a reopen reopens it, an
 * update keeps the status it had. An event older than one already applied
 * (PSAs retry out of order) only fills in what is still unknown.
 */
export function workItemCte(
  event: CanonicalEvent,
  at: string,
  hasContact: boolean,
  previous: string,
): Fragment {
  const item = event.workItem;
  const closing = closingTypes.has(event.type);
  const reopening = event.type === "ticket.reopened";
  const closedAt = closing ? new Date(item.closedAt ?? event.occurredAt).toISOString() : null;
  const status = closing ? "closed" : reopening ? "reopened" : "open";
  const instant = (value: string | null | undefined) =>
    stmt`${value ? new Date(value).toISOString() : null}::timestamptz`;
  // The event is the item's newest (or the first with a time): it may change what it says.
  const newer = stmt`(w.event_at is null or excluded.event_at >= w.event_at)`;
  // A close or reopen competes only with the status changes before it: an update in between
  // (a note added after closing) keeps the status, so a close delivered after it still counts.
  const newerStatus = stmt`(w.status_at is null or excluded.event_at >= w.status_at)`;
  const statusChange = closing
    ? stmt`, status = case when ${newerStatus} then 'closed' else w.status end,
        closed_at = case when ${newerStatus} then ${closedAt}::timestamptz else w.closed_at end,
        status_at = case when ${newerStatus} then excluded.event_at else w.status_at end`
    : reopening
      ? stmt`, status = case when ${newerStatus} then 'reopened' else w.status end,
          closed_at = case when ${newerStatus} then null else w.closed_at end,
          status_at = case when ${newerStatus} then excluded.event_at else w.status_at end`
      : nothing;
  return stmt`work_item as (
      insert into work_items as w (kind, external_id, reference, client_id, contact_id, summary,
        board, status,
        opened_at, closed_at, first_response_at, event_at, status_at, created_at, updated_at)
      select ${item.kind}::text, ${item.externalId}::text, ${item.reference ?? null}::text,
        (select id from client_row),
        ${hasContact ? stmt`(select id from contact_now)` : stmt`null::uuid`},
        ${item.summary}::text, ${item.board ?? null}::text, ${status}::text,
        ${instant(item.openedAt)},
        ${closing ? stmt`${closedAt}::timestamptz` : reopening ? stmt`null::timestamptz` : instant(item.closedAt)},
        ${instant(item.firstResponseAt)}, ${instant(event.occurredAt)},
        ${closing || reopening ? instant(event.occurredAt) : stmt`null::timestamptz`},
        ${at}::timestamptz, ${at}::timestamptz
      where (select ok from resolved) and ${after(previous)}
      on conflict (kind, external_id) do update set
        client_id = case when ${newer} then excluded.client_id else w.client_id end,
        contact_id = case when ${newer} then coalesce(excluded.contact_id, w.contact_id)
          else coalesce(w.contact_id, excluded.contact_id) end,
        summary = case when ${newer} and excluded.summary <> '' then excluded.summary
          when w.summary = '' then excluded.summary else w.summary end,
        board = case when ${newer} then coalesce(excluded.board, w.board)
          else coalesce(w.board, excluded.board) end,
        reference = case when ${newer} then coalesce(excluded.reference, w.reference)
          else coalesce(w.reference, excluded.reference) end,
        opened_at = coalesce(excluded.opened_at, w.opened_at),
        first_response_at = coalesce(excluded.first_response_at, w.first_response_at),
        event_at = greatest(w.event_at, excluded.event_at),
        updated_at = excluded.updated_at${statusChange}
      returning id, board, contact_id, status, event_at, (xmax <> 0) as existed)`;
}

export interface TouchInput {
  memberExternalId: string;
  team: string;
  role: CanonicalEvent["touches"][number]["role"];
  at: Date;
  minutes: number | null;
}

/**
 * CTE `touch_new (id, inserted)`, after `work_item`, `member_row` and `team_row`: stores the
 * touches not seen before (the unique index drops repeats, also within one event), and corrects
 * the minutes of a touch seen before when this event is the item's newest and names them (a time
 * entry fixed in the PSA; weighted credit follows). Touches arriving after the item closed are kept: the work
 * still happened, and metrics credit it.
 */
export function touchesCte(list: TouchInput[], at: string, occurredAt: string): Fragment {
  const input = list.map((touch) => ({
    member: touch.memberExternalId,
    team: touch.team,
    role: touch.role,
    at: touch.at.toISOString(),
    minutes: touch.minutes,
  }));
  return stmt`touch_input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
        as i(member text, team text, role text, at timestamptz, minutes integer)),
    touch_new as (
      insert into touches (work_item_id, member_id, team_id, role, at, minutes, created_at)
      -- One row per touch: an upsert may not meet the same row twice in one statement.
      select distinct on (m.id, t.id, i.role, i.at)
        w.id, m.id, t.id, i.role, i.at, i.minutes, ${at}::timestamptz
      from work_item w
        cross join touch_input i
        join member_row m on m.external_id = i.member
        join team_row t on t.key = i.team
      order by m.id, t.id, i.role, i.at, i.minutes desc nulls last
      on conflict (work_item_id, member_id, team_id, role, at) do update
        set minutes = excluded.minutes
        -- A touch sent without minutes says nothing of them: the known minutes stay.
        where excluded.minutes is not null and touches.minutes is distinct from excluded.minutes
          -- Minutes nobody knew yet are filled in by any event; known ones are corrected only
          -- by the item's newest (its row as updated under the lock: a newer event committed
          -- while this one waited is seen).
          and (touches.minutes is null
            or (select event_at from work_item) <= ${occurredAt}::timestamptz)
      returning id, (xmax = 0) as inserted)`;
}
