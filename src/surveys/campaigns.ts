import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, inArray, isNull, type SQL } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { clients, contacts } from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";
import { appSecret } from "../security/app-secret.ts";
import { getSurvey } from "./definitions.ts";
import { type InvitationDecision, type SkipReason, scheduleInvitation } from "./schedule.ts";

/** Why a campaign reaches no one at a contact: a scheduling rule, or their client has ended. */
export type CampaignSkipReason = SkipReason | "client_ended";

export interface CampaignResult {
  campaignId: string;
  surveyKey: string;
  contactsConsidered: number;
  scheduled: number;
  skipped: Partial<Record<CampaignSkipReason, number>>;
  unknownClientExternalIds: string[];
}

const PAGE = 200;

/**
 * Schedules a `manual` survey to every contact of the selected clients (all clients when none
 * are named), with the same rules as work events. A client whose `endedAt` has passed is no
 * longer one: its contacts are skipped as `client_ended`. Each contact is scheduled in its own short
 * transaction; the unique (survey, campaign, contact) index makes a repeat of the same
 * `campaignId` complete an interrupted run without reaching anyone twice.
 */
export async function runCampaign({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { surveyKey: string; clientExternalIds?: string[]; campaignId?: string };
}): Promise<CampaignResult> {
  const survey = await getSurvey({ ctx, input: { key: input.surveyKey } });
  if (!survey) throw new ApiError("not_found", `No survey has the key \`${input.surveyKey}\`.`);
  if (survey.trigger !== "manual") {
    throw new ApiError(
      "conflict",
      `Survey \`${survey.key}\` is triggered by ${survey.trigger}; only manual surveys run as campaigns.`,
    );
  }
  if (!survey.active) throw new ApiError("conflict", `Survey \`${survey.key}\` is inactive.`);

  const campaignId = input.campaignId ?? randomUUID();
  const now = ctx.clock.now();
  const secret = await appSecret(ctx);
  const result: CampaignResult = {
    campaignId,
    surveyKey: survey.key,
    contactsConsidered: 0,
    scheduled: 0,
    skipped: {},
    unknownClientExternalIds: [],
  };

  let clientFilter: SQL | undefined;
  if (input.clientExternalIds) {
    const wanted = [...new Set(input.clientExternalIds)];
    const found = await ctx.db
      .select({ id: clients.id, externalId: clients.externalId })
      .from(clients)
      .where(inArray(clients.externalId, wanted));
    const known = new Set(found.map((row) => row.externalId));
    result.unknownClientExternalIds = wanted.filter((id) => !known.has(id));
    if (found.length === 0) return result;
    clientFilter = inArray(
      contacts.clientId,
      found.map((row) => row.id),
    );
  }

  // Keyset pages over contacts, so a large directory never sits in memory at once.
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const page = await ctx.db
      .select({
        id: contacts.id,
        email: contacts.email,
        optedOutAt: contacts.optedOutAt,
        bouncedAt: contacts.bouncedAt,
        complainedAt: contacts.complainedAt,
        clientId: clients.id,
        excludeFromSurveys: clients.excludeFromSurveys,
        clientEndedAt: clients.endedAt,
      })
      .from(contacts)
      .innerJoin(clients, eq(clients.id, contacts.clientId))
      .where(and(clientFilter, isNull(contacts.erasedAt), gt(contacts.id, after)))
      .orderBy(asc(contacts.id))
      .limit(PAGE);
    for (const row of page) {
      result.contactsConsidered += 1;
      if (row.clientEndedAt && row.clientEndedAt <= now) {
        result.skipped.client_ended = (result.skipped.client_ended ?? 0) + 1;
        continue;
      }
      const decision: InvitationDecision = await ctx.db.transaction((db) =>
        scheduleInvitation(
          { ctx: { ...ctx, db } },
          {
            survey,
            contact: row,
            client: { id: row.clientId, excludeFromSurveys: row.excludeFromSurveys },
            target: { campaignId },
            secret,
          },
        ),
      );
      if (decision.status === "scheduled") result.scheduled += 1;
      else result.skipped[decision.reason] = (result.skipped[decision.reason] ?? 0) + 1;
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }
  return result;
}
