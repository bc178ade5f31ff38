import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import {
  clients,
  contacts,
  invitations,
  responses,
  surveys,
  workItems,
} from "../db/schema/index.ts";
import { onResponseChange } from "../followups/notify.ts";
import { ApiError, type FieldError } from "../http/errors.ts";
import type { ResponseRow } from "./invitation-access.ts";
import { isValidScore, scoresOf } from "./scale.ts";

export interface ExternalResponseInput {
  survey: string;
  workItem?: { externalId: string; kind: "ticket" | "project" } | null;
  client?: { externalId: string } | null;
  contact?: { externalId: string } | null;
  score: number;
  comment?: string | null;
  respondedAt: string;
  idempotencyKey: string;
}

export async function getResponse({ ctx, input }: { ctx: ServiceContext; input: { id: string } }) {
  const [row] = await ctx.db.select().from(responses).where(eq(responses.id, input.id));
  return row;
}

/** How far ahead of this server's clock another system's may be. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The request's fingerprint: the same key with another body is a conflict, not a replay. */
function requestHash(input: ExternalResponseInput): string {
  const canonical = JSON.stringify([
    input.survey,
    input.workItem ?? null,
    input.client?.externalId ?? null,
    input.contact?.externalId ?? null,
    input.score,
    input.comment ?? null,
    new Date(input.respondedAt).toISOString(),
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

/**
 * Records a score collected outside rapport (phone, portal, another survey tool). It counts
 * at once and is final; the idempotency key makes retries safe.
 */
export async function recordExternalResponse({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ExternalResponseInput;
}): Promise<{ response: ResponseRow; created: boolean }> {
  const hash = requestHash(input);
  return ctx.db.transaction(async (tx) => {
    const replay = async () => {
      const [existing] = await tx
        .select()
        .from(responses)
        .where(eq(responses.idempotencyKey, input.idempotencyKey));
      if (!existing) return undefined;
      if (existing.requestHash !== hash) {
        throw new ApiError("conflict", "This idempotencyKey was used with a different request.");
      }
      return { response: existing, created: false };
    };
    const earlier = await replay();
    if (earlier) return earlier;

    const errors: FieldError[] = [];
    const [survey] = await tx.select().from(surveys).where(eq(surveys.key, input.survey));
    if (!survey) errors.push({ path: "survey", message: "No survey has this key.", in: "body" });
    else if (!isValidScore(survey.scale, input.score)) {
      const scores = scoresOf(survey.scale);
      errors.push({
        path: "score",
        message: `Must be an integer from ${scores[0]} to ${scores.at(-1)} on the ${survey.scale} scale.`,
        in: "body",
      });
    }
    let clientId: string | undefined;
    let workItemId: string | null = null;
    if (input.workItem) {
      const [item] = await tx
        .select({ id: workItems.id, clientId: workItems.clientId })
        .from(workItems)
        .where(
          and(
            eq(workItems.kind, input.workItem.kind),
            eq(workItems.externalId, input.workItem.externalId),
          ),
        );
      if (!item)
        errors.push({
          path: "workItem.externalId",
          message: `No ${input.workItem.kind} has this id.`,
          in: "body",
        });
      else ({ id: workItemId, clientId } = item);
    }
    if (input.client) {
      const [client] = await tx
        .select({ id: clients.id })
        .from(clients)
        .where(eq(clients.externalId, input.client.externalId));
      if (!client)
        errors.push({ path: "client.externalId", message: "No client has this id.", in: "body" });
      else if (clientId && clientId !== client.id) {
        errors.push({
          path: "client.externalId",
          message: "The work item belongs to another client.",
          in: "body",
        });
      } else clientId = client.id;
    }
    let contactId: string | null = null;
    if (input.contact) {
      const [contact] = await tx
        .select({ id: contacts.id, clientId: contacts.clientId })
        .from(contacts)
        .where(eq(contacts.externalId, input.contact.externalId));
      if (!contact)
        errors.push({ path: "contact.externalId", message: "No contact has this id.", in: "body" });
      else if (clientId && contact.clientId !== clientId) {
        errors.push({
          path: "contact.externalId",
          message: "The contact belongs to another client.",
          in: "body",
        });
      } else contactId = contact.id;
    }
    // A score collected elsewhere was given already; a few minutes allow for the other
    // system's clock.
    if (Date.parse(input.respondedAt) > ctx.clock.now().getTime() + CLOCK_SKEW_MS) {
      errors.push({ path: "respondedAt", message: "must not be in the future.", in: "body" });
    }
    const first = errors[0];
    if (first || !survey || !clientId) {
      throw new ApiError(
        "validation_failed",
        first ? `Invalid body: ${first.path} ${first.message}` : "Invalid body.",
        {
          errors,
        },
      );
    }
    const respondedAt = new Date(input.respondedAt);
    const now = ctx.clock.now();
    const answer = {
      surveyId: survey.id,
      workItemId,
      clientId,
      contactId,
      scale: survey.scale,
      score: input.score,
      state: "recorded" as const,
      comment: input.comment ?? null,
      source: "api" as const,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      respondedAt,
      finalAt: respondedAt,
      updatedAt: now,
    };
    const invitation = workItemId
      ? await invitationAnswered(tx, survey.id, workItemId, contactId)
      : undefined;
    if (invitation?.response) {
      // A scanner's quarantined or flagged click held the invitation: the person's answer
      // takes its place, as a later human action does on the page.
      const [updated] = await tx
        .update(responses)
        .set({ ...answer, contactId: invitation.contactId })
        .where(eq(responses.id, invitation.response.id))
        .returning();
      await onResponseChange({
        ctx: { ...ctx, db: tx },
        input: { previous: invitation.response, current: updated! },
      });
      return { response: updated!, created: true };
    }
    const [inserted] = await tx
      .insert(responses)
      .values({
        ...answer,
        ...(invitation ? { invitationId: invitation.id, contactId: invitation.contactId } : {}),
        createdAt: now,
      })
      .onConflictDoNothing({ target: responses.idempotencyKey })
      .returning();
    if (!inserted) {
      // A concurrent request with the same key won the insert.
      const raced = await replay();
      if (raced) return raced;
      throw new ApiError("conflict", "This idempotencyKey is being used; retry.");
    }
    await onResponseChange({
      ctx: { ...ctx, db: tx },
      input: { previous: undefined, current: inserted },
    });
    return { response: inserted, created: true };
  });
}

/**
 * The invitation a score collected elsewhere answers: the one the survey sent about the work
 * item, when the score is its contact's or names no contact. Locked, with its click version
 * moved (a click decided on a snapshot read before is decided again), and with the response a
 * scanner's click left on it. Answered already by a person: a 409, and nothing is written.
 */
async function invitationAnswered(
  tx: ServiceContext["db"],
  surveyId: string,
  workItemId: string,
  contactId: string | null,
): Promise<{ id: string; contactId: string; response: ResponseRow | undefined } | undefined> {
  const [invitation] = await tx
    .update(invitations)
    .set({ clickVersion: sql`${invitations.clickVersion} + 1` })
    .where(
      and(
        eq(invitations.surveyId, surveyId),
        eq(invitations.workItemId, workItemId),
        contactId === null ? undefined : eq(invitations.contactId, contactId),
      ),
    )
    .returning({ id: invitations.id, contactId: invitations.contactId });
  if (!invitation) return undefined;
  const [response] = await tx
    .select()
    .from(responses)
    .where(eq(responses.invitationId, invitation.id));
  if (response?.state === "recorded") {
    throw new ApiError(
      "conflict",
      `The survey's invitation about this work item was answered already: response ${response.id}.`,
    );
  }
  return { ...invitation, response };
}
