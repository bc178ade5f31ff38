import { desc, eq } from "drizzle-orm";
import type { ServiceContext } from "../context.ts";
import {
  type WebhookEventType,
  type WebhookFormat,
  webhookSubscriptions,
} from "../db/schema/index.ts";
import { ApiError } from "../http/errors.ts";
import { checkDestination, DestinationRefused } from "./destination.ts";
import { encryptSecret, newSigningSecret } from "./secrets.ts";

export type Subscription = Omit<typeof webhookSubscriptions.$inferSelect, "encryptedSecret">;

const view = {
  id: webhookSubscriptions.id,
  url: webhookSubscriptions.url,
  description: webhookSubscriptions.description,
  eventTypes: webhookSubscriptions.eventTypes,
  format: webhookSubscriptions.format,
  active: webhookSubscriptions.active,
  createdAt: webhookSubscriptions.createdAt,
  updatedAt: webhookSubscriptions.updatedAt,
};

async function acceptableUrl(ctx: Pick<ServiceContext, "config">, url: string): Promise<string> {
  try {
    return (await checkDestination(url, ctx.config.OUTBOUND_ALLOW_PRIVATE)).toString();
  } catch (error) {
    if (!(error instanceof DestinationRefused)) throw error;
    throw new ApiError("validation_failed", `Invalid body: url ${error.message}`, {
      errors: [{ path: "url", message: error.message, in: "body" }],
    });
  }
}

/** Creates a subscription; its signing secret is answered here once and never again. */
export async function createSubscription({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: {
    url: string;
    eventTypes: WebhookEventType[];
    format: WebhookFormat;
    active: boolean;
    description?: string | null | undefined;
  };
}): Promise<{ subscription: Subscription; secret: string }> {
  const url = await acceptableUrl(ctx, input.url);
  const secret = newSigningSecret();
  const now = ctx.clock.now();
  const [subscription] = await ctx.db
    .insert(webhookSubscriptions)
    .values({
      url,
      description: input.description ?? null,
      eventTypes: [...new Set(input.eventTypes)],
      format: input.format,
      active: input.active,
      encryptedSecret: await encryptSecret(ctx, secret),
      createdAt: now,
      updatedAt: now,
    })
    .returning(view);
  return { subscription: subscription!, secret };
}

export async function listSubscriptions({ ctx }: { ctx: Pick<ServiceContext, "db"> }) {
  return ctx.db
    .select(view)
    .from(webhookSubscriptions)
    .orderBy(desc(webhookSubscriptions.createdAt), desc(webhookSubscriptions.id));
}

export async function getSubscription({
  ctx,
  input,
}: {
  ctx: Pick<ServiceContext, "db">;
  input: { id: string };
}): Promise<Subscription> {
  const [row] = await ctx.db
    .select(view)
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, input.id));
  if (!row) throw new ApiError("not_found", "No webhook subscription has this id.");
  return row;
}

/** Changes a subscription; a new URL passes the same destination check as at creation. */
export async function updateSubscription({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: {
    id: string;
    url?: string | undefined;
    eventTypes?: WebhookEventType[] | undefined;
    format?: WebhookFormat | undefined;
    active?: boolean | undefined;
    description?: string | null | undefined;
  };
}): Promise<Subscription> {
  const url = input.url === undefined ? undefined : await acceptableUrl(ctx, input.url);
  const [row] = await ctx.db
    .update(webhookSubscriptions)
    .set({
      ...(url === undefined ? {} : { url }),
      ...(input.eventTypes === undefined ? {} : { eventTypes: [...new Set(input.eventTypes)] }),
      ...(input.format === undefined ? {} : { format: input.format }),
      ...(input.active === undefined ? {} : { active: input.active }),
      ...(input.description === undefined ? {} : { description: input.description }),
      updatedAt: ctx.clock.now(),
    })
    .where(eq(webhookSubscriptions.id, input.id))
    .returning(view);
  if (!row) throw new ApiError("not_found", "No webhook subscription has this id.");
  return row;
}
