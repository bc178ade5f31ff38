import type { ServiceContext } from "../context.ts";
import type { responses } from "../db/schema/index.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
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
 */
export async function onResponseChange({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { previous: ResponseRow | undefined; current: ResponseRow };
}): Promise<void> {
  const { previous, current } = input;
  const wasRecorded = previous?.state === "recorded";
  const isRecorded = current.state === "recorded";

  if (isRecorded && !wasRecorded) {
    await enqueueWebhookEvent({
      ctx,
      input: {
        type: "response.recorded",
        data: await responseSubject(ctx, current, responsePath(current.id)),
      },
    });
  } else if (
    isRecorded &&
    previous &&
    (previous.score !== current.score || previous.comment !== current.comment)
  ) {
    await enqueueWebhookEvent({
      ctx,
      input: {
        type: "response.changed",
        data: {
          ...(await responseSubject(ctx, current, responsePath(current.id))),
          previous: { score: previous.score, comment: previous.comment },
        },
      },
    });
  }

  // Only a move into or out of negative acts: a comment added to an unhappy answer whose case
  // someone already resolved must not open it again.
  const wasNegative = previous !== undefined && isNegativeAnswer(previous);
  const isNegative = isNegativeAnswer(current);
  if (isNegative && !wasNegative) {
    await openCase(ctx, current);
  } else if (wasNegative && !isNegative) {
    const note = isRecorded
      ? `The score changed from ${previous.score} to ${current.score} (${current.scale}) and is no longer negative.`
      : `The response is now ${current.state} and no longer counts as an answer.`;
    await resolveCaseAutomatically(ctx, current, note);
  }
}
