import type { ServiceContext } from "../context.ts";
import type { responses, WebhookEventType } from "../db/schema/index.ts";
import { enqueueWebhookEvent, subscribedEventTypes } from "../webhooks/outbox.ts";
import { openCase, resolveCaseAutomatically } from "./cases.ts";
import { responseSubject } from "./event-data.ts";
import { isNegativeAnswer } from "./scores.ts";

export type ResponseRow = typeof responses.$inferSelect;

function responsePath(id: string): string {
  return `/dashboard/responses/${id}`;
}

/**
 * Called inside the transaction that records or changes a response (ctx.db is that
 * transaction), with the row before and after. Follow-up cases and outbound webhook
 * deliveries hang off this one point, so they exist exactly when the change does.
 *
 * `webhookTypes` are the event types active subscriptions want, when the caller already read
 * them in this transaction; otherwise they are read here, and only if an event may apply. An
 * event's data (client, work item) is read only when someone subscribes to it, and once.
 */
export async function onResponseChange({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: {
    /** What the change is told apart by; callers may hold only these fields of the old row. */
    previous: Pick<ResponseRow, "state" | "score" | "comment" | "scale"> | undefined;
    current: ResponseRow;
    webhookTypes?: ReadonlySet<WebhookEventType>;
  };
}): Promise<void> {
  const { previous, current } = input;
  const wasRecorded = previous?.state === "recorded";
  const isRecorded = current.state === "recorded";
  // An answer that stops counting (quarantined or flagged after all) is a change too: whoever
  // counted its response.recorded must learn to stop.
  const responseEvent: WebhookEventType | undefined =
    isRecorded && !wasRecorded
      ? "response.recorded"
      : (wasRecorded && !isRecorded) ||
          (isRecorded &&
            previous &&
            (previous.score !== current.score || previous.comment !== current.comment))
        ? "response.changed"
        : undefined;
  // Only a move into or out of negative acts: a comment added to an unhappy answer whose case
  // someone already resolved must not open it again.
  const wasNegative = previous !== undefined && isNegativeAnswer(previous);
  const isNegative = isNegativeAnswer(current);
  const caseChange =
    isNegative && !wasNegative ? "open" : wasNegative && !isNegative ? "resolve" : undefined;
  if (!responseEvent && !caseChange) return;

  const wanted = input.webhookTypes ?? (await subscribedEventTypes(ctx));
  let subject: ReturnType<typeof responseSubject> | undefined;
  const subjectOf = () => {
    subject ??= responseSubject(ctx, current, responsePath(current.id));
    return subject;
  };

  if (responseEvent && wanted.has(responseEvent)) {
    const data = await subjectOf();
    await enqueueWebhookEvent({
      ctx,
      input: {
        type: responseEvent,
        data:
          responseEvent === "response.changed" && previous
            ? {
                ...data,
                previous: {
                  state: previous.state,
                  score: previous.score,
                  comment: previous.comment,
                },
              }
            : data,
      },
    });
  }

  if (caseChange === "open") {
    await openCase(ctx, current, { notify: wanted.has("followup.opened"), subject: subjectOf });
  } else if (caseChange === "resolve" && previous) {
    const note = isRecorded
      ? `The score changed from ${previous.score} to ${current.score} (${current.scale}) and is no longer negative.`
      : `The response is now ${current.state} and no longer counts as an answer.`;
    await resolveCaseAutomatically(ctx, current, note, {
      notify: wanted.has("followup.resolved"),
      subject: subjectOf,
    });
  }
}
