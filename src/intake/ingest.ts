import { and, eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { events } from "../db/schema/index.ts";
import { appSecret } from "../security/app-secret.ts";
import { chooseSurvey, type InvitationDecision, scheduleInvitation } from "../surveys/schedule.ts";
import type { CanonicalEvent } from "./event.ts";
import { learnMembers } from "./members.ts";
import { learnClient, learnContact, learnTeams } from "./parties.ts";
import { recordTouches, type TouchInput, upsertWorkItem } from "./work-items.ts";

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
 * repeat of the same (source, id) waits for the first and then records nothing.
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
  return ctx.db.transaction(async (db) => {
    const tx = { ...ctx, db };
    const now = ctx.clock.now();
    const [stored] = await db
      .insert(events)
      .values({
        source,
        externalId: event.id,
        type: event.type,
        occurredAt: new Date(event.occurredAt),
        receivedAt: now,
        payload: event,
        outcome: {},
      })
      .onConflictDoNothing({ target: [events.source, events.externalId] })
      .returning({ id: events.id });
    if (!stored) return answerDuplicate(tx, source, event.id);

    const client = await learnClient({ ctx: tx }, event.client);
    const contact = event.contact
      ? await learnContact({ ctx: tx }, client.id, event.contact)
      : null;
    const teamIds = await learnTeams(
      { ctx: tx },
      event.touches.map((touch) => touch.team),
    );
    const memberIds = await learnMembers(
      { ctx: tx },
      event.touches.map((touch) => ({
        member: touch.member,
        teamId: teamIds.get(touch.team)!,
        at: new Date(touch.at),
      })),
    );
    const workItem = await upsertWorkItem({ ctx: tx }, event, {
      clientId: client.id,
      contactId: contact?.id ?? null,
    });

    const touchRows: TouchInput[] = event.touches.map((touch) => ({
      memberId: memberIds.get(touch.member.externalId)!,
      teamId: teamIds.get(touch.team)!,
      role: touch.role,
      at: new Date(touch.at),
      minutes: touch.minutes ?? null,
    }));
    const touchesRecorded = await recordTouches({ ctx: tx }, workItem.id, touchRows);

    let invitation: InvitationDecision | null = null;
    const trigger = surveyTriggers[event.type as keyof typeof surveyTriggers];
    if (trigger) {
      const choice = await chooseSurvey(
        { ctx: tx },
        {
          trigger,
          board: event.workItem.board ?? null,
          teamKeys: [...new Set(event.touches.map((touch) => touch.team))],
        },
      );
      invitation =
        "skip" in choice
          ? choice.skip
          : await scheduleInvitation(
              { ctx: tx },
              {
                survey: choice.survey,
                contact,
                client,
                target: { workItemId: workItem.id },
                secret,
              },
            );
    }

    const outcome: StoredOutcome = { touchesRecorded, invitation };
    await db
      .update(events)
      .set({ workItemId: workItem.id, outcome })
      .where(eq(events.id, stored.id));
    return { eventId: stored.id, duplicate: false, workItemId: workItem.id, ...outcome };
  });
}

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
