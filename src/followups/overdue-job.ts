import { eq, inArray, sql } from "drizzle-orm";
import { queryRows } from "../db/client.ts";
import { followups, responses } from "../db/schema/index.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
import type { Job } from "../worker/runner.ts";
import { followupEventData } from "./cases.ts";

const BATCH = 50;

/**
 * Emits `followup.overdue` once per case still `open` past its due time. Marking the case and
 * queueing the event happen in one transaction, on rows claimed with SKIP LOCKED.
 */
export const followupOverdueJob: Job = {
  name: "followup-overdue",
  async runOnce(ctx) {
    const now = ctx.clock.now();
    return ctx.db.transaction(async (tx) => {
      const txCtx = { ...ctx, db: tx };
      const due = await queryRows<{ id: string }>(
        tx,
        sql`select id from followups
            where state = 'open' and overdue_notified_at is null
              and due_at <= ${now.toISOString()}::timestamptz
            order by due_at
            limit ${BATCH}
            for update skip locked`,
      );
      if (due.length === 0) return 0;
      const marked = await tx
        .update(followups)
        .set({ overdueNotifiedAt: now, updatedAt: now })
        .where(
          inArray(
            followups.id,
            due.map((row) => row.id),
          ),
        )
        .returning();
      for (const followup of marked) {
        const [response] = await tx
          .select()
          .from(responses)
          .where(eq(responses.id, followup.responseId));
        await enqueueWebhookEvent({
          ctx: txCtx,
          input: {
            type: "followup.overdue",
            data: await followupEventData(txCtx, followup, response!),
          },
        });
      }
      return marked.length;
    });
  },
};
