import type { ServiceContext } from "../context.ts";
import {
  findByToken,
  isClosed,
  responseOf,
  type TokenTarget,
  windowEnd,
} from "./invitation-access.ts";
import type { ClickEvidence } from "./request-evidence.ts";
import { isValidScore } from "./scale.ts";
import { writeResponse } from "./write-response.ts";

export const COMMENT_MAX_LENGTH = 2000;

/**
 * A comment as stored, however it came (the page's form, the API): line breaks as LF. Browsers
 * submit a textarea's line breaks as CRLF but count each as one character against its
 * maxlength; one stored form keeps the limit the page shows the one enforced.
 */
export function commentText(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

export type CommentOutcome =
  | { kind: "unknown" }
  | { kind: "expired"; target: TokenTarget }
  | { kind: "invalid_score"; target: TokenTarget }
  | { kind: "saved"; target: TokenTarget; score: number; comment: string; final: boolean };

/**
 * A comment is a person's action: it records the score the page showed when no answer is
 * recorded yet (a quarantined or flagged click becomes the person's answer), changes it within
 * the edit window, and otherwise only adds the comment. Stored as plain text.
 */
export async function postComment({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { token: string; score: number; comment: string; evidence: ClickEvidence };
}): Promise<CommentOutcome> {
  return ctx.db.transaction(async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const now = ctx.clock.now();
    const target = await findByToken(tx, input.token, { lock: true });
    if (!target) return { kind: "unknown" };
    if (isClosed(target.invitation, now)) return { kind: "expired", target };
    if (!isValidScore(target.survey.scale, input.score)) return { kind: "invalid_score", target };
    const previous = await responseOf(tx, target.invitation.id);
    const comment = input.comment.trim();
    let write: Parameters<typeof writeResponse>[3];
    // A comment that sets or changes the answer is kept as its evidence, like a click from the
    // page: a later burst that undoes a scanner's change falls back to it.
    let verdict: "recorded" | "changed" | undefined;
    if (previous?.state !== "recorded") {
      write = {
        state: "recorded",
        score: input.score,
        respondedAt: now,
        finalAt: windowEnd(target.survey, now),
      };
      verdict = "recorded";
    } else if (previous.finalAt.getTime() > now.getTime() && previous.score !== input.score) {
      write = { state: "recorded", score: input.score, respondedAt: now };
      verdict = "changed";
    } else {
      write = { state: "recorded", score: previous.score };
    }
    const click = verdict && {
      invitationId: target.invitation.id,
      score: input.score,
      verdict,
      reason: "comment",
      at: now,
      fromPage: true,
      ...input.evidence,
    };
    const current = await writeResponse(txCtx, target, previous, write, now, {
      comment: comment || null,
      ...(click ? { click } : {}),
    });
    return {
      kind: "saved",
      target,
      score: current.score,
      comment: current.comment ?? "",
      final: current.finalAt.getTime() <= now.getTime(),
    };
  });
}
