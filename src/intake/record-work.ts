import type { ServiceContext } from "../context.ts";
import { parsedJson, queryStatement } from "../db/client.ts";
import { nothing, stmt } from "../db/statement.ts";
import { type SchedulingSurvey, type Survey, surveyCandidatesSql } from "../surveys/schedule.ts";
import type { CanonicalEvent } from "./event.ts";
import { latestMentions, memberCtes, memberUpdateCtes } from "./members.ts";
import {
  type ContactRow,
  type ContactState,
  clientCtes,
  clientRenameCte,
  contactCtes,
  contactState,
  contactUpdateCtes,
  teamCtes,
} from "./parties.ts";
import { touchesCte, workItemCte } from "./work-items.ts";

type Ctx = Pick<ServiceContext, "db" | "clock">;

export interface RecordedWork {
  client: { id: string; excludeFromSurveys: boolean };
  contact: ContactState | null;
  workItemId: string;
  /** New touches stored by this event. */
  touchesRecorded: number;
  /** The surveys the event's trigger may schedule, oldest first; empty without a trigger. */
  candidates: SchedulingSurvey[];
  /** The item's board after this event (the event may leave it out). */
  board: string | null;
  /** The item's status after this event: `open`, `closed` or `reopened`. */
  status: string;
  /** The item was known before this event (its row was updated, not inserted). */
  existed: boolean;
}

interface RecordedRow {
  resolved: boolean;
  clientId: string;
  excludeFromSurveys: boolean;
  contact: ContactRow | string | null;
  workItemId: string | null;
  touchesRecorded: number;
  candidates: SchedulingSurvey[] | string | null;
  board: string | null;
  status: string | null;
  existed: boolean | null;
}

/**
 * A party row another transaction committed during an attempt is seen by the next one, and an
 * attempt inserts no party of a kind before the kinds ahead of it are resolved: each attempt
 * resolves at least one more of the four kinds (client, contact, teams, members).
 */
const ATTEMPTS = 5;

/**
 * Records what one event says in one statement: its client, contact, teams and members, the
 * work item and its new touches, and reads the candidate surveys for its trigger. Each CTE
 * waits for the one before it, so every event takes its row locks in the same order (client,
 * contact, teams, members, work item), each kind in key order, and none deadlocks another.
 * When another transaction created one of the parties after the statement's snapshot, the
 * statement records no work and runs again: everything it wrote is an idempotent upsert.
 */
export async function recordWork(
  { ctx }: { ctx: Ctx },
  event: CanonicalEvent,
  trigger: Survey["trigger"] | null,
): Promise<RecordedWork> {
  const at = ctx.clock.now().toISOString();
  const latest = latestMentions(
    event.touches.map((touch) => ({
      member: touch.member,
      team: touch.team,
      at: new Date(touch.at),
    })),
  );
  const teamKeys = event.touches.map((touch) => touch.team);
  const touches = event.touches.map((touch) => ({
    memberExternalId: touch.member.externalId,
    team: touch.team,
    role: touch.role,
    at: new Date(touch.at),
    minutes: touch.minutes ?? null,
  }));
  const contact = event.contact ?? null;
  // Inserts first (client, contact, teams, members), then, once every party is resolved, the
  // updates in the same order, then the work item and its touches.
  const occurredAt = new Date(event.occurredAt).toISOString();
  const statement = stmt`with ${clientCtes(event.client, at, occurredAt)},
      ${contact ? stmt`${contactCtes(contact, at, occurredAt)},` : nothing}
      ${teamCtes(teamKeys, at, contact ? "contact_row" : "client_row")},
      ${memberCtes(latest, new Set(teamKeys).size, at)},
      resolved as (
        select (select count(*) from client_row) = 1
          ${contact ? stmt`and (select count(*) from contact_row) = 1` : nothing}
          and (select count(*) from team_row) = ${new Set(teamKeys).size}
          and (select count(*) from member_row) = ${latest.size} as ok),
      ${clientRenameCte(event.client, at, occurredAt)},
      ${contact ? stmt`${contactUpdateCtes(contact, at, occurredAt, "client_renamed")},` : nothing}
      ${memberUpdateCtes(at, contact ? "contact_changed" : "client_renamed")},
      ${workItemCte(event, at, contact !== null, "member_updated")},
      ${touchesCte(touches, at, occurredAt)}
    select
      (select ok from resolved) as resolved,
      (select id from client_row) as "clientId",
      (select exclude_from_surveys from client_row) as "excludeFromSurveys",
      (select json_build_object('id', k.id, 'email', k.email, 'optedOutAt', k.opted_out_at,
          'bouncedAt', k.bounced_at, 'complainedAt', k.complained_at, 'erasedAt', k.erased_at)
        from ${
          contact
            ? stmt`contact_now k`
            : // No contact in the event: the one the item already has, if any.
              stmt`contacts k where k.id = (select contact_id from work_item)`
        }) as contact,
      (select id from work_item) as "workItemId",
      (select board from work_item) as board,
      (select status from work_item) as status,
      (select count(*) from touch_new where inserted)::int as "touchesRecorded",
      ${trigger ? surveyCandidatesSql(trigger) : stmt`'[]'::json`} as candidates,
      (select existed from work_item) as existed`;

  for (let attempt = 1; ; attempt++) {
    const [row] = await queryStatement<RecordedRow>(ctx.db, "intake_record_work", statement);
    if (row?.resolved && row.workItemId) {
      const contactRow = parsedJson(row.contact);
      return {
        client: { id: row.clientId, excludeFromSurveys: row.excludeFromSurveys },
        contact: contactRow ? contactState(contactRow) : null,
        workItemId: row.workItemId,
        touchesRecorded: row.touchesRecorded,
        candidates: parsedJson(row.candidates) ?? [],
        board: row.board,
        status: row.status ?? "open",
        existed: row.existed === true,
      };
    }
    if (attempt === ATTEMPTS) throw new Error("intake could not resolve the event's parties");
  }
}
