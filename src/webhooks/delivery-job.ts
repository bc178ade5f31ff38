import { eq, inArray, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import { queryRows } from "../db/client.ts";
import { webhookAttempts, webhookDeliveries, webhookSubscriptions } from "../db/schema/index.ts";
import type { Job } from "../worker/runner.ts";
import { renderBody } from "./formats.ts";
import type { WebhookEvent } from "./outbox.ts";
import { decryptSecret, signatureFor } from "./secrets.ts";
import { postWebhook, type SendResult } from "./send.ts";

const BATCH = 10;
/** Retries continue for at least this long after the first attempt of a series. */
export const RETRY_WINDOW_MS = 24 * 3_600_000;
const FIRST_RETRY_MS = 30_000;
const LONGEST_RETRY_MS = 3_600_000;

/** Exponential backoff with ±25% jitter, so failing receivers are not hit in lockstep. */
export function retryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const exponential = FIRST_RETRY_MS * 2 ** Math.max(0, failedAttempts - 1);
  const capped = Math.min(exponential, LONGEST_RETRY_MS);
  return Math.round(capped * (0.75 + random() * 0.5));
}

type Delivery = typeof webhookDeliveries.$inferSelect;

/**
 * Claims due deliveries and leases them (pushes `next_attempt_at` past the request timeout) in
 * one short transaction, so the HTTP requests run outside it and a crashed worker's claims come
 * due again by themselves.
 */
async function claimDue(ctx: ServiceContext): Promise<Delivery[]> {
  const now = ctx.clock.now();
  const lease = new Date(now.getTime() + ctx.config.WEBHOOK_TIMEOUT_MS + 60_000);
  return ctx.db.transaction(async (tx) => {
    const due = await queryRows<{ id: string }>(
      tx,
      sql`select id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= ${now.toISOString()}::timestamptz
          order by next_attempt_at
          limit ${BATCH}
          for update skip locked`,
    );
    if (due.length === 0) return [];
    return tx
      .update(webhookDeliveries)
      .set({
        nextAttemptAt: lease,
        firstAttemptAt: sql`coalesce(${webhookDeliveries.firstAttemptAt}, ${now.toISOString()}::timestamptz)`,
        updatedAt: now,
      })
      .where(
        inArray(
          webhookDeliveries.id,
          due.map((row) => row.id),
        ),
      )
      .returning();
  });
}

async function attempt(ctx: ServiceContext, delivery: Delivery): Promise<SendResult> {
  const [subscription] = await ctx.db
    .select()
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, delivery.subscriptionId));
  if (!subscription?.active) {
    return { statusCode: null, error: "subscription is inactive", responseBody: null };
  }
  const secret = await decryptSecret(ctx, subscription.encryptedSecret);
  const body = renderBody(subscription.format, delivery.payload as unknown as WebhookEvent);
  const id = `msg_${delivery.id}`;
  const timestamp = Math.floor(ctx.clock.now().getTime() / 1000);
  return postWebhook({
    url: subscription.url,
    body,
    headers: {
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatureFor(secret, id, timestamp, body),
    },
    timeoutMs: ctx.config.WEBHOOK_TIMEOUT_MS,
    allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE,
  });
}

async function record(
  ctx: ServiceContext,
  delivery: Delivery,
  result: SendResult,
  durationMs: number,
): Promise<void> {
  const now = ctx.clock.now();
  const number = delivery.attempts + 1;
  const firstAttemptAt = delivery.firstAttemptAt ?? now;
  const succeeded = result.error === null;
  const inactive = result.error === "subscription is inactive";
  const givingUp =
    !succeeded && (inactive || now.getTime() - firstAttemptAt.getTime() >= RETRY_WINDOW_MS);
  await ctx.db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values({
      deliveryId: delivery.id,
      series: delivery.series,
      number,
      at: now,
      statusCode: result.statusCode,
      error: result.error,
      responseBody: result.responseBody,
      durationMs,
    });
    await tx
      .update(webhookDeliveries)
      .set({
        attempts: number,
        lastAttemptAt: now,
        lastError: result.error,
        status: succeeded ? "succeeded" : givingUp ? "failed" : "pending",
        nextAttemptAt: succeeded || givingUp ? now : new Date(now.getTime() + retryDelayMs(number)),
        updatedAt: now,
      })
      .where(eq(webhookDeliveries.id, delivery.id));
  });
}

/** Sends due webhook deliveries, signed, and schedules retries of the failures. */
export const webhookDeliveryJob: Job = {
  name: "webhook-deliveries",
  async runOnce(ctx) {
    const claimed = await claimDue(ctx);
    await Promise.all(
      claimed.map(async (delivery) => {
        const started = performance.now();
        let result: SendResult;
        try {
          result = await attempt(ctx, delivery);
        } catch (error) {
          result = { statusCode: null, error: (error as Error).message, responseBody: null };
        }
        await record(ctx, delivery, result, Math.round(performance.now() - started));
      }),
    );
    return claimed.length;
  },
};
