import { sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { type SchedulingSurvey, type Survey, surveyCandidatesSql } from "../surveys/schedule.ts";
import type { CanonicalEvent } from "./event.ts";
import { latestMentions, memberCtes, moveRacedMembers } from "./members.ts";
import {
  type ContactRow,
  type ContactState,
  clientCtes,
  contactCtes,
  contactState,
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
}

interface RecordedRow {
  clientId: string;
  excludeFromSurveys: boolean;
  contact: ContactRow | string | null;
  workItemId: string;
  touchesRecorded: number;
  candidates: SchedulingSurvey[] | string | null;
  raced: Array<{ id: string; externalId: string; teamId: string; team: string }> | string | null;
}

/** json columns arrive parsed from one driver and as text from another. */
function parsed<T>(value: T | string | null): T | null {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

/**
 * Records what one event says in one statement: its client, contact, teams and members, the
 * work item and its new touches, and reads the candidate surveys for its trigger. The CTEs run
 * in the order each needs the one before it, taking row locks class by class (client, contact,
 * teams, members, work item), each class in key order, the same for every event.
 */
export async function recordWork(
  { ctx }: { ctx: Ctx },
  event: CanonicalEvent,
  trigger: Survey["trigger"] | null,
): Promise<RecordedWork> {
  const at = ctx.clock.now().toISOString();
  const mentions = event.touches.map((touch) => ({
    member: touch.member,
    team: touch.team,
    at: new Date(touch.at),
  }));
  const latest = latestMentions(mentions);
  const touches = event.touches.map((touch) => ({
    memberExternalId: touch.member.externalId,
    team: touch.team,
    role: touch.role,
    at: new Date(touch.at),
    minutes: touch.minutes ?? null,
  }));
  const contact = event.contact ?? null;
  const [row] = await queryRows<RecordedRow>(
    ctx.db,
    sql`with ${clientCtes(event.client, at)},
      ${contact ? sql`${contactCtes(contact, at)},` : sql``}
      ${teamCtes(
        event.touches.map((touch) => touch.team),
        at,
      )},
      ${memberCtes(latest, at)},
      ${workItemCte(event, at, contact !== null)},
      ${touchesCte(touches, at)}
    select
      (select id from client_row) as "clientId",
      (select exclude_from_surveys from client_row) as "excludeFromSurveys",
      ${
        contact
          ? sql`(select json_build_object('id', id, 'email', email, 'optedOutAt', opted_out_at,
              'bouncedAt', bounced_at, 'complainedAt', complained_at) from contact_row)`
          : sql`null::json`
      } as contact,
      (select id from work_item) as "workItemId",
      (select count(*) from touch_new)::int as "touchesRecorded",
      ${trigger ? surveyCandidatesSql(trigger) : sql`'[]'::json`} as candidates,
      (select json_agg(json_build_object('id', r.id, 'externalId', r.external_id, 'teamId', t.id,
          'team', t.key))
        from member_raced r join member_input i on i.external_id = r.external_id
          join team_row t on t.key = i.team_key) as raced`,
  );
  if (!row?.workItemId || !row.clientId) throw new Error("intake recorded no work item");
  const raced = parsed(row.raced) ?? [];
  if (raced.length > 0) {
    const teamIds = new Map(raced.map((member) => [member.team, member.teamId]));
    await moveRacedMembers({ ctx }, raced, latest, teamIds);
  }
  const contactRow = parsed(row.contact);
  return {
    client: { id: row.clientId, excludeFromSurveys: row.excludeFromSurveys },
    contact: contactRow ? contactState(contactRow) : null,
    workItemId: row.workItemId,
    touchesRecorded: row.touchesRecorded,
    candidates: parsed(row.candidates) ?? [],
  };
}
