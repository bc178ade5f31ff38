import { type Fragment, nothing, stmt } from "../db/statement.ts";
import type { CanonicalEvent } from "./event.ts";
import { after } from "./parties.ts";

const closingTypes = new Set(["ticket.closed", "project.completed"]);

/**
 * CTE `work_item (id)`, after the CTE named `previous`, and only when `resolved` says every
 * party was found or created: records the work item as the event
 * describes it. A closing event closes it (its `closedAt`, or the moment of the event), a
 * reopen reopens it, an update keeps the status it had.
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
  const statusChange = closing
    ? stmt`, status = 'closed', closed_at = ${closedAt}::timestamptz`
    : reopening
      ? stmt`, status = 'reopened', closed_at = null`
      : nothing;
  return stmt`work_item as (
      insert into work_items as w (kind, external_id, client_id, contact_id, summary, board, status,
        opened_at, closed_at, first_response_at, created_at, updated_at)
      select ${item.kind}::text, ${item.externalId}::text, (select id from client_row),
        ${hasContact ? stmt`(select id from contact_now)` : stmt`null::uuid`},
        ${item.summary}::text, ${item.board ?? null}::text, ${status}::text,
        ${instant(item.openedAt)},
        ${closing ? stmt`${closedAt}::timestamptz` : reopening ? stmt`null::timestamptz` : instant(item.closedAt)},
        ${instant(item.firstResponseAt)}, ${at}::timestamptz, ${at}::timestamptz
      where (select ok from resolved) and ${after(previous)}
      on conflict (kind, external_id) do update set
        client_id = excluded.client_id,
        contact_id = coalesce(excluded.contact_id, w.contact_id),
        summary = case when excluded.summary = '' then w.summary else excluded.summary end,
        board = coalesce(excluded.board, w.board),
        opened_at = coalesce(excluded.opened_at, w.opened_at),
        first_response_at = coalesce(excluded.first_response_at, w.first_response_at),
        updated_at = excluded.updated_at${statusChange}
      returning id)`;
}

export interface TouchInput {
  memberExternalId: string;
  team: string;
  role: CanonicalEvent["touches"][number]["role"];
  at: Date;
  minutes: number | null;
}

/**
 * CTE `touch_new (id)`, after `work_item`, `member_row` and `team_row`: stores the touches not
 * seen before (the unique index drops repeats, also within one event). Touches arriving after
 * the item closed are kept: the work still happened, and metrics credit it.
 */
export function touchesCte(list: TouchInput[], at: string): Fragment {
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
      select w.id, m.id, t.id, i.role, i.at, i.minutes, ${at}::timestamptz
      from work_item w
        cross join touch_input i
        join member_row m on m.external_id = i.member
        join team_row t on t.key = i.team
      on conflict do nothing
      returning id)`;
}
