import type { ServiceContext } from "../context.ts";
import type { responses } from "../db/schema/index.ts";

export type ResponseRow = typeof responses.$inferSelect;

/**
 * Called inside the transaction that records or changes a response (ctx.db is that
 * transaction), with the row before and after. Follow-up cases and outbound webhook
 * deliveries hang off this one point.
 */
export async function onResponseChange(_args: {
  ctx: ServiceContext;
  input: { previous: ResponseRow | undefined; current: ResponseRow };
}): Promise<void> {}
