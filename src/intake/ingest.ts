import { and, eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { beforeCommit, type PendingWrite, queryStatement, settleWrite } from "../db/client.ts";
import { events } from "../db/schema/index.ts";
import { type Fragment, nothing, stmt } from "../db/statement.ts";
import { appSecret } from "../security/app-secret.ts";
import {
  chooseSurvey,
  holdForReopen,
  type InvitationDecision,
  releaseHeld,
  scheduleInvitation,
} from "../surveys/schedule.ts";
import type { CanonicalEvent } from "./event.ts";
import { recordWork } from "./record-work.ts";

export type { SkipReason } from "../surveys/schedule.ts";

export interface IngestResult {
  /** Our id of the stored event. */
  eventId: string;
  /** The producer's id was seen before: nothing recorded again. */
  duplicate: boolean;
  workItemId: string | null;
  /** New touches stored by this event. */
  touchesRecorded: number;
  /** The invitation decision; null when the event type triggers no survey. */
  invitation: InvitationDecision | null;
}

/** An event's result inside its transaction: the invitation decision may still be on its way. */
type Recorded = Omit<IngestResult, "invitation"> & {
  invitation: InvitationDecision | Promise<InvitationDecision> | null;
};

/** What `events.outcome` keeps, so a repeated delivery can answer what the first one did. */
interface StoredOutcome {
  touchesRecorded: number;
  invitation: InvitationDecision | null;
}

const surveyTriggers = {
  "ticket.closed": "ticket.closed",
  "project.completed": "project.completed",
} as const;

/**
 * Records one canonical event: its client, contact, members, teams, work item and touches, and
 * the invitation it triggers, all in one transaction. The producer's id makes it idempotent:
 * the event row is inserted first with `on conflict do nothing`, so a concurrent or later
 * repeat of the same (source, id) waits for the first, then rolls back the work sent with its
 * row and answers what the first recorded.
 */
export async function ingestEvent({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { source: string; event: CanonicalEvent };
}): Promise<IngestResult> {
  const { source, event } = input;
  const secret = await appSecret(ctx);
  const trigger = surveyTriggers[event.type as keyof typeof surveyTriggers] ?? null;
  const transaction = ctx.db.transaction(async (db): Promise<[Recorded, PendingWrite?]> => {
    const tx = { ...ctx, db };
    const now = ctx.clock.now().toISOString();
    // The event's row and the work it records go out together, one round trip: a repeated
    // event is found by the first and rolls back what the second wrote.
    const [inserted, worked] = await Promise.allSettled([
      queryStatement<{ id: string }>(
        db,
        "intake_event",
        stmt`insert into events (source, external_id, type, occurred_at, received_at, payload, outcome)
          values (${source}::text, ${event.id}::text, ${event.type}::text,
            ${new Date(event.occurredAt).toISOString()}::timestamptz, ${now}::timestamptz,
            ${JSON.stringify(event)}::jsonb, '{}'::jsonb)
          on conflict (source, external_id) do nothing
          returning id`,
      ),
      recordWork({ ctx: tx }, event, trigger),
    ]);
    if (inserted.status === "rejected") throw inserted.reason;
    const [stored] = inserted.value;
    if (!stored) throw new RepeatedEvent();
    if (worked.status === "rejected") throw worked.reason;
    const work = worked.value;

    // What the event recorded goes in its row's outcome, written by the transaction's last
    // statement, which goes out together with COMMIT (`beforeCommit`) and is read once the
    // transaction is over. The share lock on the contact's row keeps the stored event's contact
    // only while they are not erased: an erasure under way ends first and is seen, or starts
    // after this commit and scrubs this event with the others.
    const contactId = event.contact && work.contact ? work.contact.id : null;
    const recordOutcome = (invitation: Fragment) => stmt`${
      contactId
        ? stmt`k as (
            select external_id, erased_at from contacts where id = ${contactId}::uuid for key share),`
        : nothing
    }
      recorded as (
        update events set work_item_id = ${work.workItemId}::uuid,
          outcome = json_build_object('touchesRecorded', ${work.touchesRecorded}::int,
            'invitation', ${invitation})::jsonb
          ${
            contactId
              ? stmt`, payload = case
                  when (select erased_at from k) is null then payload
                  else jsonb_set(payload, '{contact}',
                    jsonb_build_object('externalId', (select external_id from k))) end`
              : nothing
          }
        where id = ${stored.id}::uuid)`;

    let invitation: InvitationDecision | Promise<InvitationDecision> | null = null;
    // The close that ends a reopen releases the invitation the reopen held; a late close that
    // left the item reopened does not. Looked up in a statement of its own, now that the item's
    // row lock is held: a reopen that committed while this event waited for it is seen.
    if (trigger && work.existed && work.status !== "reopened") {
      invitation = await releaseHeld({ ctx: tx }, work.workItemId);
    }
    if (trigger && !invitation) {
      // The item as it now is: its board, and every team that touched it, in this event or
      // before (a close often names only the last owner). Read in a statement of its own, once
      // the item's row lock is held (this event's touches are stored by then), and only when a
      // candidate survey filters by team: the others do not look at teams.
      const teamKeys = work.candidates.some((survey) => survey.teams.length > 0)
        ? await teamsOf(db, work.workItemId)
        : [];
      const choice = chooseSurvey(work.candidates, { board: work.board, teamKeys });
      // Scheduling is the last statement, and records the outcome itself.
      invitation =
        "skip" in choice
          ? choice.skip
          : scheduleInvitation(
              { ctx: tx },
              {
                survey: choice.survey,
                contact: work.contact,
                client: work.client,
                target: { workItemId: work.workItemId },
                secret,
                record: recordOutcome,
              },
            );
    }

    // A survey not yet sent waits while the ticket is open again.
    if (event.type === "ticket.reopened" && work.status === "reopened") {
      await holdForReopen({ ctx: tx }, work.workItemId);
    }

    let last: Promise<unknown> =
      invitation instanceof Promise
        ? invitation
        : queryStatement(
            db,
            "intake_outcome",
            stmt`with ${recordOutcome(stmt`${JSON.stringify(invitation)}::json`)} select 1`,
          );
    // A close older than the item's reopen (the PSA's deliveries crossed) leaves it reopened:
    // the survey it scheduled waits for the close that ends the reopen, as it would have had
    // the two arrived in order.
    if (trigger && work.status === "reopened" && invitation instanceof Promise) {
      await last;
      last = holdForReopen({ ctx: tx }, work.workItemId);
    }
    return [
      {
        eventId: stored.id,
        duplicate: false,
        workItemId: work.workItemId,
        touchesRecorded: work.touchesRecorded,
        invitation,
      },
      beforeCommit(last.then(() => undefined)),
    ];
  });
  const settled = await transaction.then(
    (done) => done,
    (error: unknown) => {
      if (error instanceof RepeatedEvent) return null;
      throw error;
    },
  );
  // The first delivery of this id has committed: its outcome answers the repeat.
  if (!settled) return answerDuplicate(ctx, source, event.id);
  const [result, lastWrite] = settled;
  await settleWrite(lastWrite);
  return { ...result, invitation: await result.invitation };
}

/** The keys of every team that touched the work item. */
async function teamsOf(db: ServiceContext["db"], workItemId: string): Promise<string[]> {
  const rows = await queryStatement<{ key: string }>(
    db,
    "intake_item_teams",
    stmt`select distinct t.key from touches x join teams t on t.id = x.team_id
      where x.work_item_id = ${workItemId}::uuid`,
  );
  return rows.map((row) => row.key);
}

/** Rolls back an event whose producer's id was recorded before. */
class RepeatedEvent extends Error {}

async function answerDuplicate(
  ctx: Pick<ServiceContext, "db">,
  source: string,
  externalId: string,
): Promise<IngestResult> {
  const [first] = await ctx.db
    .select({ id: events.id, workItemId: events.workItemId, outcome: events.outcome })
    .from(events)
    .where(and(eq(events.source, source), eq(events.externalId, externalId)));
  if (!first) throw new Error("a conflicting event row is not visible");
  const outcome = first.outcome as Partial<StoredOutcome>;
  return {
    eventId: first.id,
    duplicate: true,
    workItemId: first.workItemId,
    touchesRecorded: 0,
    invitation: outcome.invitation ?? null,
  };
}
